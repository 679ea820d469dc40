"""MisAlign-Profile's results: the benchmark by semantic type (model x dimension x type), the
trade-off matrix, and their figures.

    python -m papers.misalign_profile.results --help

Each table is the function named after its file (table_<stem>); the figures are in figures.py.
Scores per run and their mean ± std come from papers/core/benchmark/scores.py, computed once on all
items (semantic_type "all") and once on each type's items. Trade-offs: tradeoffs.py.
"""
from __future__ import annotations

import pandas as pd

from papers.core.benchmark.scores import main_results, run_metrics, with_items

from .semantic_types import TYPES
from .tradeoffs import tradeoff_matrix

TYPE_ORDER = (*TYPES, "all")


def type_metrics(merged: pd.DataFrame, groups: dict[str, str]) -> pd.DataFrame:
    """Per-run metrics on all items and on each semantic type's items, with a semantic_type column."""
    frames = [run_metrics(merged, groups).assign(semantic_type="all")]
    for t in TYPES:
        part = merged[merged["semantic_type"] == t]
        if not part.empty:
            frames.append(run_metrics(part, groups).assign(semantic_type=t))
    metrics = pd.concat(frames, ignore_index=True)
    return metrics.assign(_t=metrics["semantic_type"].map(TYPE_ORDER.index)).sort_values(
        "_t", kind="stable").drop(columns="_t").reset_index(drop=True)


def table_results_by_type(metrics: pd.DataFrame, detectors: list[str]) -> pd.DataFrame:
    """Model x semantic type x dimension: mean and std over runs of Coverage, FFR and AS."""
    return main_results(metrics, detectors, by=("semantic_type",))


def table_tradeoffs(merged: pd.DataFrame, detectors: list[str], groups: dict[str, str], baseline: str,
                    min_joint: int) -> pd.DataFrame:
    """The trade-off matrix (tradeoffs.py) with each model's group, in the table's column order."""
    matrix = tradeoff_matrix(merged, detectors, baseline, min_joint).assign(
        group=lambda f: f["detector"].map(groups))
    return matrix[["group", "detector", "d1", "d2", "as_baseline", "n_baseline", "as_joint", "n_joint", "drop",
                   "range_drop", "note"]]


def main(argv=None) -> None:
    import json

    from papers.core.cli import parser, setup_logging
    from papers.core.io import write_parquet
    from papers.core.report.figures import save_figure
    from papers.core.report.tables import write_table

    from .figures import figure_as_by_type, figure_tradeoffs
    from .tradeoffs import drop_range

    p = parser(__doc__)
    p.add_argument("--items", required=True)
    p.add_argument("--predictions", nargs="+", required=True)
    p.add_argument("--groups", required=True, metavar="JSON", help="detector name -> group, in table order")
    p.add_argument("--baseline", required=True, choices=["without", "all"], help="trade-off baseline")
    p.add_argument("--min-joint", type=int, required=True,
                   help="joint items a pair needs before its drop enters the trade-off range")
    p.add_argument("--scale", required=True)
    p.add_argument("--out-metrics", required=True)
    p.add_argument("--type-table", required=True, help="stem of the model x dimension x type table")
    p.add_argument("--tradeoff-table", required=True, help="stem of the trade-off matrix table")
    p.add_argument("--tradeoff-figure", required=True)
    p.add_argument("--type-figure", required=True)
    a = p.parse_args(argv)
    log = setup_logging()
    groups = json.loads(a.groups)
    detectors = list(groups)
    items = pd.read_parquet(a.items)
    predictions = pd.concat([pd.read_parquet(f) for f in a.predictions], ignore_index=True)
    merged = with_items(items, predictions).merge(items[["item_id", "semantic_type"]], on="item_id")
    metrics = type_metrics(merged, groups)
    write_parquet(a.out_metrics, metrics)
    table = table_results_by_type(metrics, detectors)
    write_table(table, a.type_table, caption=(
        f"MisAlign-Profile results by semantic type ({a.scale} scale): Coverage, FFR and Alignment Score "
        "per model, type and dimension, mean and std over runs."))
    matrix = table_tradeoffs(merged, detectors, groups, a.baseline, a.min_joint)
    lo, hi = drop_range(matrix)
    write_table(matrix, a.tradeoff_table, caption=(
        f"Misalignment trade-offs ({a.scale} scale): relative drop of AS on d1 when prompts also carry d2 "
        f"(baseline: {a.baseline}); range_drop: the drop where the pair has at least {a.min_joint} joint "
        f"items and a defined drop (note says why not); measured range {lo:.1%} to {hi:.1%}, the paper "
        "reports 12%-34%."))
    save_figure(figure_tradeoffs(matrix, detectors, a.scale, a.baseline), a.tradeoff_figure)
    save_figure(figure_as_by_type(table, detectors, a.scale), a.type_figure)
    log.info("trade-off drops range from %.3f to %.3f over %d entries in range", lo, hi,
             int(matrix["range_drop"].notna().sum()))


if __name__ == "__main__":
    from papers.core.cli import run

    run(main)
