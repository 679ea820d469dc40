"""Group fairness of a rater's verdicts (Demo-SafetyBench, paper 3), in fairlearn's conventions.

    demographic parity difference = max over groups of the selection rate P(pred = 1 | group)
                                    minus the min over groups
    equalized odds difference     = max(TPR difference, FPR difference), each max - min over groups

One departure, on purpose: fairlearn counts a group's true positive rate as 0 when the group has
no positives (and its false positive rate as 0 when it has no negatives). Here such a group does
not enter that difference, and a difference that fewer than two groups define is nan. On data where
every group has both labels the two agree exactly (tests/test_metrics_fairness.py).

Verdicts and labels are booleans or 0/1 integers (metrics/inputs.py). Every row needs its group, and
the groups of one call are of one kind: a missing group, or "1" next to 1 (which would be counted as
two groups, or 1 next to 1.0 as one), is an error rather than a row silently dropped or merged.
"""
from __future__ import annotations

import numbers

import numpy as np
import pandas as pd

from .inputs import booleans


def _kind(label) -> str:
    if isinstance(label, (bool, np.bool_)):
        return "boolean"
    if isinstance(label, numbers.Integral):
        return "integer"
    if isinstance(label, numbers.Real):
        return "float"
    return "string" if isinstance(label, str) else type(label).__name__


def _groups(groups) -> np.ndarray:
    # Checked as given: NumPy would turn ["1", 1] into two strings "1".
    as_objects = np.asarray(groups, dtype=object).ravel()
    missing = np.flatnonzero(pd.isna(as_objects))
    if len(missing):
        raise ValueError(f"groups: position {missing[0]} has no group ({as_objects[missing[0]]!r})")
    first = {}
    for i, label in enumerate(as_objects):
        first.setdefault(_kind(label), (i, label))
    if len(first) > 1:
        seen = "; ".join(f"{kind} {label!r} at position {i}" for kind, (i, label) in first.items())
        raise TypeError(f"groups mix kinds of label ({seen}); use one kind, such as strings, for every row")
    return np.asarray(groups)


def _frame(y_pred, groups, y_true=None) -> pd.DataFrame:
    frame = pd.DataFrame({"pred": booleans(y_pred, "y_pred"), "group": _groups(groups)})
    if y_true is not None:
        frame["true"] = booleans(y_true, "y_true")
    if frame.empty:
        raise ValueError("no predictions")
    return frame


def _spread(rates: pd.Series) -> float:
    rates = rates.dropna()
    return float(rates.max() - rates.min()) if len(rates) >= 2 else float("nan")


def selection_rates(y_pred, groups) -> pd.Series:
    return _frame(y_pred, groups).groupby("group", sort=True)["pred"].mean()


def demographic_parity_difference(y_pred, groups) -> float:
    return _spread(selection_rates(y_pred, groups))


def equalized_odds_difference(y_true, y_pred, groups) -> float:
    frame = _frame(y_pred, groups, y_true)
    tpr = frame[frame["true"]].groupby("group")["pred"].mean()
    fpr = frame[~frame["true"]].groupby("group")["pred"].mean()
    diffs = [d for d in (_spread(tpr), _spread(fpr)) if not np.isnan(d)]
    return max(diffs) if diffs else float("nan")
