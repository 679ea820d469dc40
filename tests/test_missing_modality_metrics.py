"""Accuracy and macro-F1 (papers/core/metrics/classification.py) against sklearn and a case by hand."""
import numpy as np
import pytest
from sklearn.metrics import accuracy_score, f1_score

from papers.core.metrics.classification import accuracy, macro_f1


def test_a_case_by_hand():
    gold, predicted = [1, 1, 1, 0, 0], [1, 0, 1, 0, 1]
    # class 1: TP 2, FP 1, FN 1 -> F1 4/6; class 0: TP 1, FP 1, FN 1 -> F1 2/4
    assert accuracy(gold, predicted) == pytest.approx(3 / 5)
    assert macro_f1(gold, predicted) == pytest.approx((4 / 6 + 2 / 4) / 2)


@pytest.mark.parametrize("seed", range(5))
def test_matches_sklearn_on_random_labels(seed):
    rng = np.random.default_rng(seed)
    classes = 2 + seed % 3
    gold, predicted = rng.integers(0, classes, 50), rng.integers(0, classes, 50)
    assert accuracy(gold, predicted) == pytest.approx(accuracy_score(gold, predicted))
    assert macro_f1(gold, predicted) == pytest.approx(f1_score(gold, predicted, average="macro"))


def test_a_constant_predictor_and_named_labels_match_sklearn():
    gold, predicted = np.array([0, 0, 0, 1]), np.zeros(4, dtype=int)
    assert macro_f1(gold, predicted) == pytest.approx(f1_score(gold, predicted, average="macro"))
    # a class named but absent from gold and predictions scores 0, as sklearn's zero_division=0
    assert macro_f1(gold, predicted, labels=[0, 1, 2]) == pytest.approx(
        f1_score(gold, predicted, labels=[0, 1, 2], average="macro", zero_division=0))


def test_wrong_inputs_are_refused():
    with pytest.raises(TypeError, match="predicted"):
        macro_f1([0, 1], [0.2, 0.9])
    with pytest.raises(ValueError, match="2 items, predictions 3"):
        accuracy([0, 1], [0, 1, 1])
    with pytest.raises(ValueError, match="no items"):
        accuracy([], [])
