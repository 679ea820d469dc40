"""The trade-off matrix on a constructed case whose drops are known."""
import math

import pandas as pd
import pytest

from papers.misalign_profile.tradeoffs import drop_range, tradeoff_matrix


def items(dims, gold, flagged, detector="m"):
    return pd.DataFrame({"detector": detector, "dimensions": dims, "gold_misaligned": gold, "flagged": flagged})


@pytest.fixture
def merged():
    # safety alone: 2 misaligned both caught, 2 aligned none flagged -> AS 1
    alone = items([["safety"]] * 4, [True, True, False, False], [True, True, False, False])
    # safety + value: 2 misaligned, 1 caught; 2 aligned, none flagged -> Cov 0.5, FFR 0 -> AS 2/3
    both = items([["safety", "value"]] * 4, [True, True, False, False], [True, False, False, False])
    # value alone: everything flagged -> Cov 1, FFR 1 -> AS 0
    value = items([["value"]] * 2, [True, False], [True, True])
    return pd.concat([alone, both, value], ignore_index=True)


def test_relative_drop_against_d1_alone(merged):
    m = tradeoff_matrix(merged, ["m"], "without").set_index(["d1", "d2"])
    row = m.loc[("safety", "value")]
    assert row["as_baseline"] == 1.0 and row["as_joint"] == pytest.approx(2 / 3)
    assert row["drop"] == pytest.approx(1 / 3) and row["n_joint"] == 4 and row["n_baseline"] == 4
    # value with safety: baseline value alone AS 0 -> the relative drop is undefined
    assert math.isnan(m.loc[("value", "safety"), "drop"])
    # no item carries cultural: undefined, not zero
    assert math.isnan(m.loc[("safety", "cultural"), "as_joint"]) and math.isnan(m.loc[("safety", "cultural"), "drop"])
    assert len(m) == 6


def test_baseline_all_includes_the_co_occurring_items(merged):
    row = tradeoff_matrix(merged, ["m"], "all").set_index(["d1", "d2"]).loc[("safety", "value")]
    # all safety items: Cov 3/4, FFR 0 -> AS 6/7
    assert row["as_baseline"] == pytest.approx(6 / 7)
    assert row["drop"] == pytest.approx((6 / 7 - 2 / 3) / (6 / 7))


def test_range_and_bad_baseline(merged):
    lo, hi = drop_range(tradeoff_matrix(merged, ["m"]))
    assert lo == hi == pytest.approx(1 / 3)
    with pytest.raises(ValueError, match="baseline must be one of"):
        tradeoff_matrix(merged, ["m"], "some")


def test_undefined_drops_say_why_and_a_pair_needs_enough_joint_items(merged):
    m = tradeoff_matrix(merged, ["m"], "without").set_index(["d1", "d2"])
    assert m.loc[("value", "safety"), "note"] == "baseline AS is 0: relative drop undefined"  # not a bare NaN
    assert m.loc[("safety", "cultural"), "note"] == "no item carries both dimensions"
    assert m.loc[("safety", "value"), "note"] == "" and m.loc[("safety", "value"), "range_drop"] == pytest.approx(1 / 3)
    strict = tradeoff_matrix(merged, ["m"], "without", min_joint=5).set_index(["d1", "d2"])
    row = strict.loc[("safety", "value")]  # 4 joint items < 5: shown, but out of the range
    assert row["drop"] == pytest.approx(1 / 3) and math.isnan(row["range_drop"])
    assert row["note"] == "fewer than 5 joint items: left out of the range"
    assert all(math.isnan(v) for v in drop_range(strict.reset_index()))
