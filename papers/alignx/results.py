"""AlignX's main and ablation tables from the judges' verdicts (papers/alignx/judge.py), and the
efficiency table from answers.py's timings.

    python -m papers.alignx.results --help
"""
from __future__ import annotations

from .tables import efficiency_table, table_ablations, table_main_results


def main(argv=None) -> None:
    import pandas as pd

    from papers.core.cli import parser, setup_logging
    from papers.core.report import write_table

    p = parser(__doc__)
    p.add_argument("--judgments", required=True)
    p.add_argument("--efficiency", nargs="+", required=True, help="answers.py's timings, one per backbone")
    p.add_argument("--threshold", type=float, required=True, help="P(unsafe) / P(true) / P(info) to count a Yes")
    p.add_argument("--scale", required=True)
    p.add_argument("--main-table", required=True, help="stem")
    p.add_argument("--ablation-table", required=True, help="stem")
    p.add_argument("--efficiency-table", required=True, help="stem")
    a = p.parse_args(argv)
    log = setup_logging()
    judgments = pd.read_parquet(a.judgments)
    main_table = table_main_results(judgments, a.threshold)
    write_table(main_table, a.main_table, caption=f"AlignX main results ({a.scale} scale)")
    write_table(table_ablations(judgments, a.threshold), a.ablation_table,
                caption=f"AlignX ablations ({a.scale} scale)")
    timings = pd.concat([pd.read_parquet(f) for f in a.efficiency], ignore_index=True)
    write_table(efficiency_table(timings), a.efficiency_table,
                caption=f"AlignX against the top-k LoRA MoE: latency and peak memory ({a.scale} scale)")
    log.info("main results:\n%s", main_table[["backbone", "method", "win_rate", "violations", "true_info"]].to_string())


if __name__ == "__main__":
    from papers.core.cli import run

    run(main)
