"""Demographic parity and equalized odds differences against fairlearn, and the one case where
pluralign departs from it on purpose (a group without positives or negatives)."""
import math

import numpy as np
import pytest
from fairlearn.metrics import demographic_parity_difference as fl_dpd
from fairlearn.metrics import equalized_odds_difference as fl_eod

from papers.core.metrics.fairness import (demographic_parity_difference, equalized_odds_difference,
                                          selection_rates)


@pytest.mark.parametrize("seed", range(5))
def test_agrees_with_fairlearn(seed):
    rng = np.random.default_rng(seed)
    groups = rng.choice(["Man", "Woman", "Nonbinary"], size=200)
    y_true = rng.random(200) < 0.4
    y_pred = rng.random(200) < np.where(groups == "Woman", 0.6, 0.3)
    assert demographic_parity_difference(y_pred, groups) == pytest.approx(
        fl_dpd(y_true, y_pred, sensitive_features=groups))
    assert equalized_odds_difference(y_true, y_pred, groups) == pytest.approx(
        fl_eod(y_true, y_pred, sensitive_features=groups))


def test_hand_computed():
    groups = ["a", "a", "a", "a", "b", "b", "b", "b"]
    y_true = [1, 1, 0, 0, 1, 1, 0, 0]
    y_pred = [1, 1, 1, 0, 1, 0, 0, 0]
    assert selection_rates(y_pred, groups).to_dict() == {"a": 0.75, "b": 0.25}
    assert demographic_parity_difference(y_pred, groups) == 0.5
    # TPR a = 1, b = 0.5; FPR a = 0.5, b = 0
    assert equalized_odds_difference(y_true, y_pred, groups) == 0.5


def test_a_group_without_negatives_does_not_enter_the_fpr_difference():
    groups = ["a", "a", "b", "b", "c", "c"]
    y_true = [1, 0, 1, 0, 1, 1]      # c has no negatives: its FPR is undefined
    y_pred = [1, 0, 1, 0, 0, 0]      # TPR a = b = 1, c = 0; FPR a = b = 0
    assert equalized_odds_difference(y_true, y_pred, groups) == 1.0
    y_pred = [1, 1, 1, 1, 1, 1]      # every defined rate is 1: TPR a = b = c, FPR a = b
    assert equalized_odds_difference(y_true, y_pred, groups) == 0.0
    # fairlearn counts c's undefined FPR as 0 and so reports a difference of 1 here
    assert fl_eod(y_true, y_pred, sensitive_features=groups) == 1.0
    # no group has negatives, so no FPR difference; TPRs are equal
    assert equalized_odds_difference([1, 1], [1, 0], ["a", "b"]) == 1.0
    assert math.isnan(equalized_odds_difference([1, 0], [1, 0], ["a", "b"]))
    assert math.isnan(demographic_parity_difference([1, 0], ["a", "a"]))
