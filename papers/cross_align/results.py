"""CROSS-ALIGN+'s tables and figure from every LVLM's answers and explanations (answers.py).

    python -m papers.cross_align.results --answers A.parquet... --explanations E.parquet... --seed 42 \
        --scale mini --per-benchmark 2 --variants STEM --ablation STEM --explanations-table STEM --gains-figure STEM

Run from its command line (papers.core.cli.run) its outputs are written all or none; the tables are
the functions of tables.py, the figure that of figures.py.
"""
from __future__ import annotations

import pandas as pd


def main(argv=None) -> None:
    from papers.core.cli import parser, setup_logging
    from papers.core.report.figures import save_figure
    from papers.core.report.tables import write_table

    from .figures import figure_gains
    from .tables import table_ablation, table_explanations, table_variants

    p = parser(__doc__)
    p.add_argument("--answers", nargs="+", required=True, help="one Parquet file per LVLM")
    p.add_argument("--explanations", nargs="+", required=True, help="one Parquet file per LVLM")
    p.add_argument("--seed", type=int, required=True)
    p.add_argument("--scale", required=True)
    p.add_argument("--per-benchmark", type=int, required=True, help="explanations shown per benchmark")
    for name in ("variants", "ablation", "explanations-table", "gains-figure"):
        p.add_argument(f"--{name}", required=True, help="output path stem")
    a = p.parse_args(argv)
    log = setup_logging()
    answers = pd.concat([pd.read_parquet(f) for f in a.answers], ignore_index=True)
    explanations = pd.concat([pd.read_parquet(f) for f in a.explanations], ignore_index=True)

    variants = table_variants(answers, a.seed)
    models = variants[variants["kind"] == "model"]
    at_chance = sorted(set(models.loc[models["vs_trivial"] != "above", "model"] + " / " +
                           models.loc[models["vs_trivial"] != "above", "benchmark"]))
    write_table(variants, a.variants, caption=(
        f"Macro-F1 per LVLM and benchmark of base, +I (knowledge), +I+II (knowledge and the benchmark's LoRA "
        f"adapter) and full (+ the cascade of evidence, reasoning and verdict) ({a.scale} scale; "
        f"{int(models['memes'].max())} test memes per benchmark). relative_gain = F1 / F1(base) - 1; "
        "trivial rows: the most frequent gold label and a seeded fair coin. vs_trivial says whether a cell beats "
        "both. " + (f"At or below the trivial baselines (no signal): {', '.join(at_chance)}. " if at_chance else "")
        + "At mini scale the memes' pictures and the benchmarks' labels are synthetic (README)."))
    ablation = table_ablation(answers)
    write_table(ablation, a.ablation, caption=(
        f"Knowledge-source ablation on +I+II ({a.scale} scale): macro-F1 with every source and with one switched "
        "off; memes_changed counts the memes whose knowledge block the switch changed (0: vacuous there)."))
    shown = table_explanations(explanations, a.per_benchmark)
    write_table(shown, a.explanations_table, caption=(
        f"A sample of Stage III explanations ({a.scale} scale): the first {a.per_benchmark} test memes of each "
        "benchmark with their knowledge, evidence, reasoning, verdict (P of the positive label) and gold label."))
    save_figure(figure_gains(variants, a.scale), a.gains_figure)
    for r in models.itertuples():
        log.info("%s %s %s: macro-F1 %.3f (%s)", r.model, r.benchmark, r.variant, r.macro_f1, r.vs_trivial)


if __name__ == "__main__":
    from papers.core.cli import run

    run(main)
