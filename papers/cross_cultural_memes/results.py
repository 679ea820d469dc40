"""Paper 8's tables and figures from every LVLM's scores (evaluate.py) and the captions (translate.py).

    python -m papers.cross_cultural_memes.results --help

Run from its command line (papers.core.cli.run) its outputs are written all or none; the tables are
the functions of tables.py, the figures those of figures.py.
"""
from __future__ import annotations

import pandas as pd


def main(argv=None) -> None:
    from papers.core.cli import parser, setup_logging
    from papers.core.report.figures import save_figure
    from papers.core.report.tables import write_table

    from .data import add_scope_args, load_memes
    from .evaluate import load_captions
    from .figures import figure_agreement, figure_setting_deltas
    from .tables import (table_agreement, table_axis_effects, table_f1_settings, table_setting_deltas,
                         table_translation)

    p = parser(__doc__)
    p.add_argument("--scores", nargs="+", required=True, help="one Parquet file per LVLM (evaluate.py)")
    add_scope_args(p)
    p.add_argument("--captions", required=True)
    p.add_argument("--seed", type=int, required=True)
    p.add_argument("--scale", required=True)
    for name in ("f1", "deltas", "effects", "agreement", "translation", "deltas-figure", "agreement-figure"):
        p.add_argument(f"--{name}", required=True, help="output path stem")
    a = p.parse_args(argv)
    log = setup_logging()
    memes = load_memes(a.memes, a.languages, a.countries)
    captions = load_captions(a.captions, a.languages)
    scores = pd.concat([pd.read_parquet(f) for f in a.scores], ignore_index=True)
    n = len(memes)

    f1 = table_f1_settings(scores, memes, a.languages, a.seed)
    write_table(f1, a.f1, caption=(
        f"Hateful-meme detection, macro-F1 per LVLM, caption language and setting ({a.scale} scale, {n} memes; "
        "gold: the annotators of the language's country). Trivial rows: the most frequent gold label, a seeded "
        "fair coin. At mini scale the memes and every country's labels are synthetic (README)."))
    deltas = table_setting_deltas(f1)
    write_table(deltas, a.deltas, caption=(
        f"Each setting's macro-F1 minus the zero-shot English-prompt original-caption baseline's ({a.scale} scale)."))
    effects = table_axis_effects(f1)
    write_table(effects, a.effects, caption=(
        f"Mean macro-F1 change of each axis over the setting pairs that differ in it alone ({a.scale} scale): "
        "translate-then-detect (translated vs original caption), native prompt (vs English), one-shot (vs zero-shot)."))
    agreement = table_agreement(scores, memes, a.countries, a.seed)
    write_table(agreement, a.agreement, caption=(
        f"Agreement of each LVLM's zero-shot predictions (native prompt, original caption) with each country's "
        f"annotators ({a.scale} scale; Cohen's kappa and F1 from scikit-learn). Reference: the US annotators' "
        "labels; trivial: most frequent label, seeded fair coin."))
    translation = table_translation(captions)
    write_table(translation, a.translation, caption=(
        f"Translation quality ({a.scale} scale): broken translations counted (empty, copied, far too short or long; "
        "kept and used), and the back-translation's MiniLM cosine to the English original beside an unrelated "
        "caption's (the floor)."))
    save_figure(figure_setting_deltas(deltas, a.scale), a.deltas_figure)
    save_figure(figure_agreement(agreement, a.scale), a.agreement_figure)
    for _, r in effects.iterrows():
        log.info("%s %s: mean macro-F1 change %+.3f over %d pairs", r["model"], r["axis"],
                 r["mean_delta_macro_f1"], r["pairs"])


if __name__ == "__main__":
    from papers.core.cli import run

    run(main)
