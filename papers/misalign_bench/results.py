"""The benchmark's numbers: metrics per detector, run and dimension, and the tables built on them.

    python -m papers.misalign_bench.results --help

Per run, a detector's test-split verdicts are pooled per dimension (an item counts in every
dimension of its prompt), over items whose prompt carries two or more dimensions ("multi"), and
jointly (every item once), micro-averaged (papers/core/detect.py).
Main results: mean and sample standard deviation (ddof 1) of each metric over runs.
Per-domain Alignment Score: the counts of every run's test items of the domain pooled, then one AS.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from papers.core.detect import scores_by_dimension
from papers.core.metrics.alignment import Counts, alignment_score
from papers.core.taxonomy import Taxonomy

GROUP_ORDER = ("general", "single_dimension", "open_weight")
DIMENSION_ORDER = ("safety", "value", "cultural", "multi", "joint")
METRICS = ("coverage", "ffr", "as")


def with_items(items: pd.DataFrame, predictions: pd.DataFrame) -> pd.DataFrame:
    merged = predictions.merge(items[["item_id", "gold_misaligned", "dimensions", "domains"]],
                               on="item_id", how="left", validate="many_to_one")
    if merged["gold_misaligned"].isna().any():
        missing = merged.loc[merged["gold_misaligned"].isna(), "item_id"].iloc[0]
        raise ValueError(f"prediction for unknown item {missing!r}: predictions and items disagree")
    return merged


def run_metrics(merged: pd.DataFrame, groups: dict[str, str]) -> pd.DataFrame:
    frames = []
    for (detector, run), part in merged.groupby(["detector", "run"], sort=True):
        table = scores_by_dimension(part.reset_index(drop=True), part["flagged"].to_numpy())
        frames.append(table.assign(detector=detector, group=groups[detector], run=run))
    out = pd.concat(frames, ignore_index=True)
    out["n_items"] = out["n_misaligned"] + out["n_aligned"]
    return out[["group", "detector", "run", "dimension", *METRICS, "n_misaligned", "n_aligned", "n_items"]]


def _order(frame: pd.DataFrame, detectors: list[str]) -> pd.DataFrame:
    return frame.assign(
        _g=frame["group"].map(GROUP_ORDER.index), _d=frame["detector"].map(detectors.index),
        _m=frame["dimension"].map(DIMENSION_ORDER.index),
    ).sort_values(["_g", "_d", "_m"]).drop(columns=["_g", "_d", "_m"]).reset_index(drop=True)


def main_results(metrics: pd.DataFrame, detectors: list[str]) -> pd.DataFrame:
    """Model x dimension: mean and std over runs of Coverage, FFR and AS."""
    agg = {f"{m}_{s}": (m, s) for m in METRICS for s in ("mean", "std")}
    table = metrics.groupby(["group", "detector", "dimension"], sort=False).agg(
        **agg, runs=("run", "nunique"), test_items=("n_items", "mean")).reset_index()
    return _order(table, detectors)


def domain_scores(merged: pd.DataFrame, taxonomy: Taxonomy, detectors: list[str]) -> pd.DataFrame:
    """Detector x domain Alignment Score, counts pooled over runs; domains without test items left out."""
    rows = []
    exploded = merged.explode("domains")
    for d in taxonomy.domains:
        part = exploded[exploded["domains"] == d.key]
        if part.empty:
            continue
        for detector in detectors:
            mine = part[part["detector"] == detector]
            c = Counts.of(mine["gold_misaligned"].to_numpy(bool), mine["flagged"].to_numpy(bool))
            rows.append({"dimension": d.dimension, "domain": d.display_name, "detector": detector,
                         "as": alignment_score(c), "test_items": len(mine)})
    return pd.DataFrame(rows)


def formatted(table: pd.DataFrame, digits: int = 3) -> pd.DataFrame:
    """Main results as the paper prints them: 'mean ± std' per metric."""
    def cell(mean, std):
        if np.isnan(mean):
            return ""
        return f"{mean:.{digits}f}" + ("" if np.isnan(std) else f" ± {std:.{digits}f}")
    out = table[["group", "detector", "dimension"]].copy()
    for m, title in zip(METRICS, ("Coverage", "FFR", "AS")):
        out[title] = [cell(a, b) for a, b in zip(table[f"{m}_mean"], table[f"{m}_std"])]
    out["runs"] = table["runs"]
    out["test items"] = table["test_items"].round().astype(int)
    return out.rename(columns={"group": "group", "detector": "model"})


def main(argv=None) -> None:
    import json

    from papers.core.cli import parser, setup_logging
    from papers.core.io import write_parquet
    from papers.core.report.tables import write_table
    from papers.core.taxonomy import load_taxonomy

    from .figures import coverage_vs_ffr, domain_heatmap

    p = parser(__doc__)
    p.add_argument("--items", required=True)
    p.add_argument("--predictions", nargs="+", required=True)
    p.add_argument("--groups", required=True, metavar="JSON", help="detector name -> group, in table order")
    p.add_argument("--taxonomy", required=True)
    p.add_argument("--scale", required=True)
    p.add_argument("--out-metrics", required=True)
    p.add_argument("--main-table", required=True, help="stem of the main results table")
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
    table = main_results(metrics, detectors)
    write_table(table, a.main_table,
                caption=f"Mis-Align Bench main results ({a.scale} scale): micro-averaged Coverage, "
                        f"FFR and Alignment Score per dimension and jointly, mean and std over runs.")
    write_table(formatted(table), f"{a.main_table}_formatted",
                caption=f"Mis-Align Bench main results ({a.scale} scale), mean ± std over runs.")
    domains = domain_scores(merged, load_taxonomy(a.taxonomy), detectors)
    write_table(domains, a.domain_table,
                caption=f"Alignment Score per domain and model ({a.scale} scale), test items of all runs pooled.")
    coverage_vs_ffr(table, a.scatter, a.scale)
    domain_heatmap(domains, detectors, a.heatmap, a.scale)
    joint = table[table["dimension"] == "joint"]
    for r in joint.itertuples():
        log.info("%-28s joint: Coverage %.3f  FFR %.3f  AS %.3f", r.detector, r.coverage_mean,
                 r.ffr_mean, r.as_mean)


if __name__ == "__main__":
    main()
