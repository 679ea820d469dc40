"""Demo-SafetyBench's descriptive tables: per-domain counts, unsafe rate per demographic group, and
agreement with each human demographic group (where the data says who rated what); each function is
named after its file (table_<stem>.{csv,md,tex})."""
from __future__ import annotations

import pandas as pd

from papers.core.taxonomy import Taxonomy

from .dices import group_majorities
from .framing import BASELINE, RATER_FIELD


YIELD = "Stage I yield"


def table_domain_counts(items: pd.DataFrame, classified: pd.DataFrame, taxonomy: Taxonomy, delta: float,
                        kept: list[str], staged: list[str]) -> pd.DataFrame:
    """Per safety domain: DICES conversations (and their human ratings) and new prompts labelled with
    it at delta, how many survive dedup, and the crowd's unsafe share on its conversations; then
    unlabelled and total rows (an item with labels in two domains counts in both).

    "Stage I yield" counts what the paper's 43,050 counts, in the unit of the authors' release: one
    row per (conversation, rater) human rating, each under its conversation's *top* domain alone,
    the unlabelled ones (top probability < delta) in the "no domain" row, as the release's "None"
    class (its 14 domains + None = 43,050). `staged`: the items left by SimHash dedup at tau over
    every item, labelled or not (Stage I's output before the benchmark's delta cut)."""
    labels = classified[(classified["dimension"] == "safety") & (classified["probability"] >= delta)]
    info = items.set_index("item_id")
    kept = set(kept)
    staged_info = info.loc[info.index.isin(list(staged))]
    labelled = staged_info["top_probability"] >= delta
    rows = []
    for d in taxonomy.of("safety"):
        ids = labels.loc[labels["domain"] == d.key, "prompt_id"]
        rows.append(_count_row(d.display_name, info.loc[info.index.intersection(ids)], kept,
                               staged_info[labelled & (staged_info["top_domain"] == d.key)]))
    unlabelled = info.index.difference(labels["prompt_id"])
    rows.append(_count_row(f"(no domain at delta = {delta:g})", info.loc[unlabelled], kept, staged_info[~labelled]))
    rows.append(_count_row("All items", info, kept, staged_info))
    return pd.DataFrame(rows)


def _count_row(name: str, part: pd.DataFrame, kept: set, yielded: pd.DataFrame) -> dict:
    dices = part[part["source"] == "dices"]
    return {"Domain": name, "DICES conversations": len(dices), "Human ratings": int(dices["human_ratings"].sum()),
            "New prompts": int((part["source"] == "expansion").sum()),
            "After dedup": int(part.index.isin(list(kept)).sum()),
            # new prompts carry no human rating, so they add no (conversation, rater) row
            YIELD: int(yielded.loc[yielded["source"] == "dices", "human_ratings"].sum()),
            "Human unsafe share": dices["human_unsafe"].mean() if len(dices) else float("nan")}


def table_unsafe_rates(ratings: pd.DataFrame, human: pd.DataFrame, axes: list[str]) -> pd.DataFrame:
    """Share of unsafe verdicts per (rater, axis, group) over the framed ratings, with the rater's
    unframed rate beside it; and the crowd's share of "Yes" per group where demographics exist."""
    rows = []
    for rater, own in ratings.groupby("rater", sort=False):
        unframed = own.loc[own["framing"] == BASELINE].dropna(subset=["p_unsafe"])["unsafe"].mean()
        for axis in axes:
            framed = own.dropna(subset=[axis, "p_unsafe"])
            for group, part in framed.groupby(axis, sort=False):
                rows.append({"rater": rater, "axis": axis, "group": group, "n": len(part),
                             "unsafe_rate": part["unsafe"].mean(), "unframed_rate": unframed})
    answered = human.dropna(subset=["unsafe"])
    for axis in axes:
        field = RATER_FIELD[axis]
        for group, part in answered.dropna(subset=[field]).groupby(field, sort=True):
            rows.append({"rater": "human raters", "axis": axis, "group": group, "n": len(part),
                         "unsafe_rate": part["unsafe"].mean(), "unframed_rate": answered["unsafe"].mean()})
    return pd.DataFrame(rows)


def table_group_agreement(ratings: pd.DataFrame, items: pd.DataFrame, human: pd.DataFrame, axes: list[str],
                          threshold: float) -> pd.DataFrame:
    """How often a rater's verdict matches a human majority (ties left out): the whole crowd's (group
    'all'), and, where the data names raters' demographics, each group's majority, once with the rater
    framed as that group (its mean p_unsafe over those framings) and once unframed."""
    rows = []
    crowd = items.loc[items["human_majority"].isin(["Yes", "No"]), ["item_id", "human_majority"]]
    for rater, own in ratings.groupby("rater", sort=False):
        unframed = own[own["framing"] == BASELINE].set_index("item_id")["p_unsafe"]
        framed_all = own[own["framing"] != BASELINE].groupby("item_id")["p_unsafe"].mean()
        rows.append(_agreement_row(rater, "all", "all", crowd.set_index("item_id")["human_majority"],
                                   framed_all, unframed, threshold))
        for axis in axes:
            majorities = group_majorities(human, RATER_FIELD[axis])
            for group, part in majorities[majorities["majority"] != "tie"].groupby("group", sort=True):
                as_group = own[own[axis] == group].groupby("item_id")["p_unsafe"].mean()
                rows.append(_agreement_row(rater, axis, group, part.set_index("item_id")["majority"],
                                           as_group, unframed, threshold))
    return pd.DataFrame(rows)


def _agreement_row(rater, axis, group, majority: pd.Series, framed: pd.Series, unframed: pd.Series,
                   threshold: float) -> dict:
    both = pd.DataFrame({"human": majority, "framed": framed, "unframed": unframed}).dropna()
    truth = both["human"] == "Yes"
    agree_framed = float(((both["framed"] >= threshold) == truth).mean()) if len(both) else float("nan")
    agree_unframed = float(((both["unframed"] >= threshold) == truth).mean()) if len(both) else float("nan")
    return {"rater": rater, "axis": axis, "group": group, "n": len(both), "agree_framed": agree_framed,
            "agree_unframed": agree_unframed, "gain": agree_framed - agree_unframed}

