"""Paper 9's tables and figure from every dataset's scores (evaluate.py).

    python -m papers.missing_modality.results --help

The ceiling beside the "text missing" results is the generator's: where a meme table carries the mini
generator's ground truth (the picture group each meme was drawn with), the accuracy of the
Bayes-optimal prediction from the picture alone on its test memes (papers.core.vision.render), with
the share of harmful texts taken from its training memes; for real memes it is unknown (nan). Run
from its command line (papers.core.cli.run) its outputs are written all or none; the tables are the
functions of tables.py, the figure that of figures.py.
"""
from __future__ import annotations

import math

import pandas as pd


def picture_ceiling(memes: pd.DataFrame) -> float:
    """The best accuracy any model can reach on the test memes with their text missing, where the
    generator that drew them is known; nan otherwise."""
    from papers.core.vision.render import text_missing_ceiling

    if not isinstance(memes, pd.DataFrame):
        raise TypeError(f"memes must be a DataFrame, got {type(memes).__name__}")
    if not {"picture_group", "text_label"} <= set(memes.columns):
        return math.nan
    prior = float(memes.loc[memes["split"] == "train", "text_label"].mean())
    return text_missing_ceiling(memes[memes["split"] == "test"], prior=prior)


def main(argv=None) -> None:
    from papers.core.cli import parser, setup_logging
    from papers.core.report.figures import save_figure
    from papers.core.report.tables import write_table
    from papers.core.vision.memes import load_memes

    from .figures import figure_missing_rates
    from .tables import table_main_results, table_missing_rates

    p = parser(__doc__)
    p.add_argument("--scores", nargs="+", required=True, help="one Parquet file per dataset (evaluate.py)")
    p.add_argument("--memes", nargs="+", required=True, help="the datasets' memes, in the order of --scores")
    p.add_argument("--scale", required=True)
    p.add_argument("--main-table", required=True)
    p.add_argument("--rates-table", required=True)
    p.add_argument("--rates-figure", required=True)
    a = p.parse_args(argv)
    log = setup_logging()
    scores = pd.concat([pd.read_parquet(f) for f in a.scores], ignore_index=True)
    ceilings = {}
    for path in a.memes:
        memes = load_memes(path)
        ceilings[str(memes["dataset"].iloc[0])] = picture_ceiling(memes)
    seeds = scores["seed"].nunique()
    main_table = table_main_results(scores, ceilings)
    write_table(main_table, a.main_table, caption=(
        f"Harmful-meme detection with complete memes and with every test meme's text missing ({a.scale} scale; "
        f"mean and sd over {seeds} seeds). macro_f1_drop: complete minus text missing. Trivial baselines: "
        "most frequent training label, uniform chance. picture_ceiling: the best accuracy possible from the "
        "picture alone, known only for the generated mini memes."))
    rates = table_missing_rates(scores)
    write_table(rates, a.rates_table, caption=(
        f"Accuracy and macro-F1 at each share of test memes with their text missing ({a.scale} scale; mean and "
        f"sd over {seeds} seeds; the memes that lose their text are drawn per seed, nested across rates)."))
    save_figure(figure_missing_rates(rates, a.scale), a.rates_figure)
    for _, r in main_table[main_table["kind"] != "ceiling"].iterrows():
        log.info("%s %s: macro-F1 %.3f complete, %.3f text missing", r["dataset"], r["method"],
                 r["macro_f1_complete"], r["macro_f1_text_missing"])


if __name__ == "__main__":
    from papers.core.cli import run

    run(main)
