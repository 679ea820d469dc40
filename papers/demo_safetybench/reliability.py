"""Stage II metrics per LLM rater: reliability across demographic framings, demographic
sensitivity, group fairness of its verdicts, and agreement with the humans.

Conventions (named in the README, since the paper defines neither its ICC raters nor DS):
- ICC and rho treat the rater's demographic framings as the raters and the conversations as the
  targets: ICC(2,1) (two-way random, absolute agreement, single framing) is the headline, ICC(2,k)
  the reliability of the mean over the k framings; rho is the mean pairwise Spearman correlation
  between framings. The unframed baseline is not one of the k.
- DS: the mean over conversations of the spread (max - min) of the unsafe probability across
  framings (papers/core/metrics/reliability.py).
- DPD and EOD: the rater's verdicts (p_unsafe >= threshold) over every (conversation, framing),
  grouped by the framing's category on one axis; EOD against the human majority label (ties and new
  prompts, which have no human label, left out). The table shows the worst axis; the per-axis
  table all of them.
- Conversations the rater could not answer (a parsed rater saying neither Yes nor No under some
  framing) leave the framing matrix; their count is reported.
"""
from __future__ import annotations

import pandas as pd
from scipy.stats import spearmanr

from papers.core.metrics.fairness import demographic_parity_difference, equalized_odds_difference
from papers.core.metrics.reliability import demographic_sensitivity, icc, mean_pairwise_spearman

from .framing import BASELINE, RATER_FIELD


def framing_matrix(ratings: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """Conversations x framings (baseline excluded) of one rater's p_unsafe, complete rows only;
    and the number of conversations dropped for an unanswered framing."""
    framed = ratings[ratings["framing"] != BASELINE]
    matrix = framed.pivot(index="item_id", columns="framing", values="p_unsafe")
    complete = matrix.dropna()
    return complete, len(matrix) - len(complete)


def reliability(matrix: pd.DataFrame) -> dict[str, float]:
    """ICC (every form), rho and DS of one framing matrix; nan when it is too small."""
    if matrix.shape[0] < 2 or matrix.shape[1] < 2:
        return {"n_items": matrix.shape[0], **{k: float("nan") for k in ("ICC(2,1)", "ICC(2,k)", "rho", "DS")}}
    forms = icc(matrix.to_numpy())
    return {"n_items": matrix.shape[0], **forms, "rho": mean_pairwise_spearman(matrix.to_numpy()),
            "DS": demographic_sensitivity(matrix.to_numpy())}


def with_human(ratings: pd.DataFrame, items: pd.DataFrame) -> pd.DataFrame:
    return ratings.merge(items[["item_id", "human_majority", "human_unsafe"]], on="item_id", how="left")


def table_fairness_by_axis(ratings: pd.DataFrame, items: pd.DataFrame, axes: list[str]) -> pd.DataFrame:
    """One row per (rater, axis): DPD over every framed rating, EOD over those with a human label."""
    rows = []
    merged = with_human(ratings, items)
    for rater, own in merged.groupby("rater", sort=False):
        for axis in axes:
            framed = own.dropna(subset=[axis, "p_unsafe"])
            labelled = framed[framed["human_majority"].isin(["Yes", "No"])]
            rows.append({"rater": rater, "axis": axis, "n_ratings": len(framed),
                         "DPD": demographic_parity_difference(framed["unsafe"], framed[axis]),
                         "n_labelled": len(labelled),
                         "EOD": (equalized_odds_difference(labelled["human_majority"] == "Yes", labelled["unsafe"],
                                                           labelled[axis]) if len(labelled) else float("nan"))})
    return pd.DataFrame(rows)


def rho_human(ratings: pd.DataFrame, items: pd.DataFrame) -> float:
    """Spearman rho between one rater's framing-mean unsafe probability and the share of humans who
    said unsafe, over the conversations humans rated."""
    merged = with_human(ratings, items).dropna(subset=["p_unsafe", "human_unsafe"])
    framed = merged[merged["framing"] != BASELINE].groupby("item_id").agg(
        p=("p_unsafe", "mean"), share=("human_unsafe", "first"))
    if len(framed) < 3 or framed["p"].nunique() < 2 or framed["share"].nunique() < 2:
        return float("nan")
    return float(spearmanr(framed["p"], framed["share"]).statistic)


def rater_table(ratings: pd.DataFrame, items: pd.DataFrame, axes: list[str]) -> pd.DataFrame:
    """The reliability table: one row per rater (in the ratings' order)."""
    fairness = table_fairness_by_axis(ratings, items, axes)
    rows = []
    for rater, own in ratings.groupby("rater", sort=False):
        matrix, dropped = framing_matrix(own)
        worst = fairness[fairness["rater"] == rater]
        rows.append({"rater": rater, "mode": own["mode"].iloc[0], "framings": matrix.shape[1],
                     **reliability(matrix), "unanswered": dropped,
                     "DPD": worst["DPD"].max(), "DPD_axis": _argmax(worst, "DPD"),
                     "EOD": worst["EOD"].max(), "EOD_axis": _argmax(worst, "EOD"),
                     "rho_human": rho_human(own, items)})
    return pd.DataFrame(rows)


def icc_rank(values: pd.Series) -> pd.Series:
    """1 for the highest ICC(2,1), ties sharing the better rank; NaN where the ICC is NaN."""
    return values.rank(method="min", ascending=False)


def _argmax(frame: pd.DataFrame, column: str) -> str:
    values = frame[column]
    return frame.loc[values.idxmax(), "axis"] if values.notna().any() else ""
