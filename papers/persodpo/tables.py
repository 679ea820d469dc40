"""PersoDPO's tables; each function is named after its file (table_<stem>.{csv,md,tex}).

Signal columns are means over a model's replies that have the signal: a failed candidate has no
text signals (coherence, consistency, entailment, persona distance), so a candidate's means are over
its parsing replies; a failed test reply is judged on its raw text (evaluate.py). Read failure_ratio
beside them. quality is signals.quality, whose min-max normalisation runs
over the rows it was computed on (all training candidates; all test replies), so qualities compare
within a table, not across the two.
"""
from __future__ import annotations

import pandas as pd

from .evaluate import BASE, GOLD
from .pairs import POLICY_PAIRS
from .score import SIGNALS

KIND = {BASE: "baseline (untrained)", **{name: "policy" for name in POLICY_PAIRS},
        "persodpo": "method", "random": "control (random pairs)", GOLD: "reference (gold reply)"}


def _signal_means(signals: pd.DataFrame, by: str, order: list[str]) -> pd.DataFrame:
    rows = []
    for name in order:
        part = signals[signals[by] == name]
        row = {"model": name, "replies": len(part), "failure_ratio": part["failure"].mean(),
               "words": part["words"].mean()}
        row.update({s: part[s].mean() for s in SIGNALS})  # NaN (a failed candidate's) skipped
        if "quality" in part:
            row["quality"] = part["quality"].mean()
        rows.append(row)
    return pd.DataFrame(rows)


def table_candidate_signals(candidates: pd.DataFrame) -> pd.DataFrame:
    """Per generator of the training candidates: failure ratio, mean words, signals, quality."""
    order = list(dict.fromkeys(candidates["generator"]))
    return _signal_means(candidates, "generator", order).rename(columns={"model": "generator"})


def table_policies(signals: pd.DataFrame, wins: pd.DataFrame) -> pd.DataFrame:
    """Per model on the test turns (base, policies, gold): signals, quality and the win rate against
    the base (the base's own row: the judge's position bias, the noise floor)."""
    order = [m for m in (BASE, *POLICY_PAIRS, GOLD) if m in set(signals["generator"])]
    table = _signal_means(signals, "generator", order)
    table.insert(1, "kind", table["model"].map(KIND))
    rate = wins.groupby("model")["win"].mean()
    p_better = wins.groupby("model")["p_model_better"].mean()
    table["win_rate_vs_base"] = table["model"].map(rate)
    table["p_better_vs_base"] = table["model"].map(p_better)
    return table


def table_training(summaries: list[dict], pairs: pd.DataFrame) -> pd.DataFrame:
    """Per policy: its pairs and mean weight, steps, and the first and last step's loss, reward margin
    and reward accuracy (TRL's log history)."""
    rows = []
    for summary in summaries:
        name, history = summary["policy"], summary["log_history"]
        own = pairs[pairs["policy"] == name]
        row = {"policy": name, "pairs": len(own), "mean_weight": own["weight"].mean() if len(own) else float("nan"),
               "steps": len(history)}
        for when, entry in (("first", history[0] if history else {}), ("last", history[-1] if history else {})):
            for key, column in (("loss", "loss"), ("rewards/margins", "margin"), ("rewards/accuracies", "accuracy")):
                row[f"{column}_{when}"] = entry.get(key, float("nan"))
        rows.append(row)
    return pd.DataFrame(rows)


def table_nli_check(check: pd.DataFrame) -> pd.DataFrame:
    """Per known label: statements, the share the NLI model labels right (recall) as the signals use
    it and uncalibrated, and what it predicts; then all labels together, and the chance level (1/3,
    the labels are balanced)."""
    labels = list(dict.fromkeys(check["label"]))
    rows = []
    for label, part in [(label, check[check["label"] == label]) for label in labels] + [("all", check)]:
        row = {"label": label, "statements": len(part), "accuracy": (part["predicted"] == part["label"]).mean(),
               "accuracy_uncalibrated": (part["predicted_uncalibrated"] == part["label"]).mean()}
        row.update({f"predicted_{p}": (part["predicted"] == p).mean() for p in labels})
        rows.append(row)
    rows.append({"label": "chance", "statements": len(check), "accuracy": 1 / len(labels)})
    return pd.DataFrame(rows)
