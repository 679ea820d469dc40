"""Group fairness of a rater's verdicts (Demo-SafetyBench, paper 3), in fairlearn's conventions.

    demographic parity difference = max over groups of the selection rate P(pred = 1 | group)
                                    minus the min over groups
    equalized odds difference     = max(TPR difference, FPR difference), each max - min over groups

One departure, on purpose: fairlearn counts a group's true positive rate as 0 when the group has
no positives (and its false positive rate as 0 when it has no negatives). Here such a group does
not enter that difference, and a difference that fewer than two groups define is nan. On data where
every group has both labels the two agree exactly (tests/test_metrics_fairness.py).
"""
from __future__ import annotations

import numpy as np
import pandas as pd


def _frame(y_pred, groups, y_true=None) -> pd.DataFrame:
    frame = pd.DataFrame({"pred": np.asarray(y_pred, dtype=bool), "group": np.asarray(groups)})
    if y_true is not None:
        frame["true"] = np.asarray(y_true, dtype=bool)
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
