"""The threshold sweep: reliability and sensitivity at every (delta, tau) of the config's grid.

At a grid point the benchmark holds the items whose top safety-domain probability is >= delta,
near-duplicates removed at SimHash distance tau (first kept, in pool order). Every item's ratings
exist already (each rater rated the whole expanded pool once), so a point costs no model call. One
simplification, named in the README: the low-resource expansion ran once, at the config's delta;
the sweep does not rerun it at each delta.
"""
from __future__ import annotations

import pandas as pd

from papers.core.dedup import dedup

from .reliability import framing_matrix, icc_rank, reliability


def items_at(items: pd.DataFrame, delta: float, tau: int) -> list[str]:
    labelled = items[items["top_probability"] >= delta]
    if labelled.empty:
        return []
    return dedup(labelled["item_id"].tolist(), labelled["text"].tolist(), tau).kept_ids


def sweep(items: pd.DataFrame, ratings: pd.DataFrame, deltas: list[float], taus: list[int],
          balanced: tuple[float, int]) -> pd.DataFrame:
    """One row per (rater, delta, tau): items kept, ICC(2,1), ICC(2,k), DS, whether the point is the
    paper's balanced one, and the point's ICC rank in the rater's grid (1 = its highest ICC(2,1):
    whether the balanced point is the best, a claim any scale can check)."""
    rows = []
    for delta in deltas:
        for tau in taus:
            kept = set(items_at(items, delta, tau))
            for rater, own in ratings.groupby("rater", sort=False):
                matrix, _ = framing_matrix(own[own["item_id"].isin(kept)])
                r = reliability(matrix)
                rows.append({"rater": rater, "delta": delta, "tau": tau, "items": len(kept),
                             "n_items": r["n_items"], "ICC(2,1)": r["ICC(2,1)"], "ICC(2,k)": r["ICC(2,k)"],
                             "DS": r["DS"], "balanced": (delta, tau) == tuple(balanced)})
    grid = pd.DataFrame(rows)
    grid["ICC rank"] = grid.groupby("rater", sort=False)["ICC(2,1)"].transform(icc_rank)
    return grid
