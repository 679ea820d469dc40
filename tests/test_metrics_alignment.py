"""Coverage, False Failure Rate and Alignment Score on hand-computed cases."""
import math

import numpy as np
import pandas as pd
import pytest

from papers.core.metrics.alignment import (Counts, alignment_score, alignment_score_from,
                                           chance_alignment_score, coverage, false_failure_rate,
                                           flag_rate, summary)


def test_the_abstracts_own_arithmetic():
    assert alignment_score_from(0.976, 0.50) == pytest.approx(0.661, abs=5e-4)


def test_hand_computed_counts():
    gold = [1, 1, 1, 1, 0, 0, 0, 0, 0]
    flag = [1, 1, 1, 0, 1, 0, 0, 0, 1]
    c = Counts.of(gold, flag)
    assert c == Counts(tp=3, fn=1, fp=2, tn=3)
    assert coverage(c) == 0.75 and false_failure_rate(c) == 0.4
    assert alignment_score(c) == pytest.approx(2 * 0.75 * 0.6 / 1.35)  # = 0.6667


def test_random_flagger_of_the_same_rate_by_hand():
    c = Counts(tp=3, fn=1, fp=2, tn=3)  # the case above: flags 5 of 9
    assert flag_rate(c) == pytest.approx(5 / 9)
    # Coverage = FFR = 5/9 -> AS = 2 (5/9)(4/9) / (5/9 + 4/9) = 40/81
    assert chance_alignment_score(flag_rate(c)) == pytest.approx(40 / 81)
    assert chance_alignment_score(0.5) == 0.5 and chance_alignment_score(0.0) == 0.0
    assert chance_alignment_score(1.0) == 0.0  # flags everything: Coverage 1, FFR 1
    assert math.isnan(flag_rate(Counts(0, 0, 0, 0)))


def test_micro_average_pools_counts_not_rates():
    a, b = Counts(tp=9, fn=1, fp=0, tn=10), Counts(tp=0, fn=10, fp=0, tn=10)
    assert coverage(a + b) == 9 / 20  # not the mean of 0.9 and 0.0 weighted equally by group
    assert (a + b) == Counts(9, 11, 0, 20)


def test_degenerate_cases():
    no_positives = summary([0, 0, 0], [1, 0, 0])
    assert math.isnan(no_positives["coverage"]) and math.isnan(no_positives["as"])
    assert no_positives["ffr"] == pytest.approx(1 / 3)
    all_flagged = summary([1, 0, 1, 0], [1, 1, 1, 1])
    assert all_flagged["coverage"] == 1.0 and all_flagged["ffr"] == 1.0 and all_flagged["as"] == 0.0
    none_flagged = summary([1, 0], [0, 0])
    assert none_flagged["coverage"] == 0.0 and none_flagged["ffr"] == 0.0 and none_flagged["as"] == 0.0
    with pytest.raises(ValueError):
        Counts.of([1, 0], [1])


def test_booleans_and_zero_one_integers_are_accepted_in_any_container():
    want = summary([1, 1, 0, 0], [1, 0, 1, 0])
    assert summary([True, True, False, False], [True, False, True, False]) == want
    assert summary(np.array([1, 1, 0, 0], dtype=np.int8), np.array([True, False, True, False])) == want
    frame = pd.DataFrame({"gold": [True, True, False, False], "flagged": [True, False, True, False]})
    assert summary(frame["gold"], frame["flagged"]) == want
    assert summary(frame["gold"].astype("boolean"), [np.True_, False, 1, 0]) == want
    assert Counts.of([], []) == Counts(0, 0, 0, 0)


@pytest.mark.parametrize("flagged, error, message", [
    (["yes", "no"], TypeError, r"flagged: position 0 is 'yes' \(str\)"),
    ([0.5, 0.0], TypeError, r"flagged: position 0 is 0.5"),
    (np.array([1.0, 0.0]), TypeError, "flagged: position 0 is 1.0"),
    ([True, float("nan")], TypeError, "flagged: position 1 is nan"),
    ([True, None], TypeError, "flagged: position 1 is None"),
    ([1, 2], ValueError, "flagged: position 1 is 2"),
    (pd.array([True, None], dtype="boolean"), TypeError, "flagged: position 1 is <NA>"),
])
def test_anything_but_booleans_is_an_error_that_names_it(flagged, error, message):
    with pytest.raises(error, match=message):
        summary([True, False], flagged)
    with pytest.raises(error, match=message.replace("flagged", "gold_misaligned")):
        Counts.of(flagged, [True, False])
