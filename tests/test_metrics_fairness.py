"""Demographic parity and equalized odds differences against fairlearn, and the one case where
pluralign departs from it on purpose (a group without positives or negatives)."""
import math

import numpy as np
import pandas as pd
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


def test_labels_must_be_booleans_or_zero_one():
    groups = ["a", "a", "b", "b"]
    y_pred, as_strings = pd.Series([True, False, True, True]), pd.Series(groups, dtype="string")
    assert demographic_parity_difference(y_pred, as_strings) == 0.5
    with pytest.raises(TypeError, match=r"y_pred: position 0 is 'yes'"):
        demographic_parity_difference(["yes", "no", "no", "no"], groups)
    with pytest.raises(TypeError, match="y_pred: position 1 is 0.5"):
        demographic_parity_difference([1, 0.5, 0, 0], groups)
    with pytest.raises(TypeError, match="y_true: position 3 is nan"):
        equalized_odds_difference([1, 0, 1, float("nan")], [1, 0, 1, 0], groups)


@pytest.mark.parametrize("missing", [None, float("nan"), pd.NA])
def test_a_row_without_a_group_is_an_error_not_dropped(missing):
    with pytest.raises(ValueError, match="groups: position 2 has no group"):
        demographic_parity_difference([1, 0, 1, 0], ["a", "b", missing, "b"])
    with pytest.raises(ValueError, match="groups: position 0 has no group"):
        selection_rates([1, 0], pd.Series([missing, "a"], dtype="string" if missing is pd.NA else object))


def test_groups_of_mixed_kinds_are_refused():
    mixed = r"groups mix kinds of label \(string '1' at position 0; integer 1 at position 1\)"
    with pytest.raises(TypeError, match=mixed):
        demographic_parity_difference([1, 0, 1, 0], ["1", 1, "1", 1])
    with pytest.raises(TypeError, match="integer 1 at position 0; float 1.0 at position 2"):
        demographic_parity_difference([1, 0, 1, 0], [1, 2, 1.0, 2])
    assert demographic_parity_difference([1, 0, 1, 1], np.array([1, 1, 2, 2])) == 0.5
