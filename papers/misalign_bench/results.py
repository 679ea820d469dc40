"""Mis-Align Bench's results: the main table (model x dimension, mean ± std over runs), the
per-domain Alignment Score table, the Coverage vs FFR figure and the per-domain heatmap.

    python -m papers.misalign_bench.results --help

Each table is the function named after its file (table_<stem>); the figures are in figures.py. The
scores themselves are papers/core/benchmark/scores.py (shared with MisAlign-Profile).
"""
from __future__ import annotations

import pandas as pd

from papers.core.benchmark.scores import domain_scores, formatted, main_results, run_metrics, with_items
from papers.core.taxonomy import Taxonomy


def table_main_results(metrics: pd.DataFrame, detectors: list[str]) -> pd.DataFrame:
    """Model x dimension: mean and std over runs of Coverage, FFR and AS (numbers)."""
    return main_results(metrics, detectors)


def table_main_results_formatted(main: pd.DataFrame) -> pd.DataFrame:
    """The main results as the paper prints them: 'mean ± std' per metric."""
    return formatted(main)


def table_domain_alignment(merged: pd.DataFrame, taxonomy: Taxonomy, detectors: list[str]) -> pd.DataFrame:
    """Detector x domain Alignment Score, test items of all runs pooled."""
    return domain_scores(merged, taxonomy, detectors)


def main(argv=None) -> None:
    import json

    from papers.core.cli import parser, setup_logging
    from papers.core.io import write_parquet
    from papers.core.report.figures import save_figure
    from papers.core.report.tables import write_table
    from papers.core.taxonomy import DIMENSIONS, load_taxonomy

    from .figures import figure_coverage_vs_ffr, figure_domain_alignment

    p = parser(__doc__)
    p.add_argument("--items", required=True)
    p.add_argument("--predictions", nargs="+", required=True)
    p.add_argument("--groups", required=True, metavar="JSON", help="detector name -> group, in table order")
    p.add_argument("--taxonomy", required=True)
    p.add_argument("--scale", required=True)
    p.add_argument("--out-metrics", required=True)
    p.add_argument("--main-table", required=True, help="stem of the main results table")
    p.add_argument("--formatted-table", required=True, help="stem of the main results table, mean ± std")
    p.add_argument("--domain-table", required=True, help="stem of the per-domain AS table")
    p.add_argument("--scatter", required=True, help="stem of the Coverage vs FFR figure")
    p.add_argument("--heatmap", required=True, help="stem of the per-domain AS heatmap")
    a = p.parse_args(argv)
    log = setup_logging()
    groups = json.loads(a.groups)
    detectors = list(groups)
    merged = with_items(pd.read_parquet(a.items),
                        pd.concat([pd.read_parquet(f) for f in a.predictions], ignore_index=True))
    metrics = run_metrics(merged, groups)
    write_parquet(a.out_metrics, metrics)
    table = table_main_results(metrics, detectors)
    write_table(table, a.main_table,
                caption=f"Mis-Align Bench main results ({a.scale} scale): micro-averaged Coverage, "
                        f"FFR and Alignment Score per dimension and jointly, mean and std over runs; "
                        f"chance: a random flagger of the same flag rate r (Coverage = FFR = r, "
                        f"AS = 2r(1-r)).")
    write_table(table_main_results_formatted(table), a.formatted_table,
                caption=f"Mis-Align Bench main results ({a.scale} scale), mean ± std over runs; Chance AS: "
                        f"a random flagger of the model's flag rate.")
    domains = table_domain_alignment(merged, load_taxonomy(a.taxonomy, DIMENSIONS), detectors)
    write_table(domains, a.domain_table,
                caption=f"Alignment Score per domain and model ({a.scale} scale), test items of all runs pooled.")
    save_figure(figure_coverage_vs_ffr(table, a.scale), a.scatter)
    save_figure(figure_domain_alignment(domains, detectors, a.scale), a.heatmap)
    joint = table[table["dimension"] == "joint"]
    for r in joint.itertuples():
        log.info("%-28s joint: Coverage %.3f  FFR %.3f  AS %.3f  (chance at its flag rate %.3f: AS %.3f)",
                 r.detector, r.coverage_mean, r.ffr_mean, r.as_mean, r.flag_rate_mean, r.chance_as_mean)


if __name__ == "__main__":
    from papers.core.cli import run

    run(main)
