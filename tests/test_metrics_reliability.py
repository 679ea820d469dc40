"""ICC (every Shrout-Fleiss form), inter-rater correlation and demographic sensitivity, checked
against pingouin, against Shrout & Fleiss (1979) Table 2, and on hand-computed cases."""
import itertools
import math

import numpy as np
import pandas as pd
import pingouin
import pytest
from scipy.stats import spearmanr

from papers.core.metrics.reliability import (ICC_FORMS, demographic_sensitivity, icc,
                                             mean_pairwise_spearman)

# Shrout & Fleiss (1979), Table 2: six targets rated by four judges; Table 4 gives the ICCs.
SHROUT_FLEISS = [[9, 2, 5, 8], [6, 1, 3, 2], [8, 4, 6, 8], [7, 1, 2, 6], [10, 5, 6, 9], [6, 2, 4, 7]]
SHROUT_FLEISS_ICC = {"ICC(1,1)": 0.17, "ICC(2,1)": 0.29, "ICC(3,1)": 0.71,
                     "ICC(1,k)": 0.44, "ICC(2,k)": 0.62, "ICC(3,k)": 0.91}
# pingouin 0.7 names the two-way forms as McGraw & Wong do: A = absolute agreement, C = consistency
PINGOUIN_NAMES = dict(zip(ICC_FORMS, ["ICC(1,1)", "ICC(A,1)", "ICC(C,1)", "ICC(1,k)", "ICC(A,k)", "ICC(C,k)"]))


# pingouin 0.7 calls pandas with an argument pandas 3.1 deprecates; not ours to fix
pytestmark = pytest.mark.filterwarnings("ignore:The inplace keyword:DeprecationWarning",
                                        "ignore::FutureWarning")


def pingouin_icc(matrix) -> dict[str, float]:
    n, k = np.shape(matrix)
    long = pd.DataFrame({"target": np.repeat(np.arange(n), k), "rater": np.tile(np.arange(k), n),
                         "rating": np.ravel(matrix)})
    table = pingouin.intraclass_corr(long, targets="target", raters="rater", ratings="rating").set_index("Type")
    return {form: float(table.loc[name, "ICC"]) for form, name in PINGOUIN_NAMES.items()}


def test_the_textbook_table():
    ours = icc(SHROUT_FLEISS)
    for form, published in SHROUT_FLEISS_ICC.items():
        assert ours[form] == pytest.approx(published, abs=0.005), form


@pytest.mark.parametrize("seed,shape", [(0, (30, 4)), (1, (12, 10)), (2, (50, 2)), (3, (7, 60))])
def test_agrees_with_pingouin_on_random_data(seed, shape):
    rng = np.random.default_rng(seed)
    # targets differ, raters have biases, plus noise: every form is informative
    y = (rng.normal(size=(shape[0], 1)) + rng.normal(scale=0.5, size=(1, shape[1]))
         + rng.normal(scale=0.7, size=shape))
    ours, reference = icc(y), pingouin_icc(y)
    for form in ICC_FORMS:
        assert ours[form] == pytest.approx(reference[form], abs=1e-10), form


def test_agrees_with_pingouin_on_binary_verdicts():
    y = (np.random.default_rng(4).random((40, 6)) < 0.4).astype(float)
    y[:10] = 1.0  # some targets flagged by every rater
    ours, reference = icc(y), pingouin_icc(y)
    for form in ICC_FORMS:
        assert ours[form] == pytest.approx(reference[form], abs=1e-10), form


def test_perfect_agreement_and_no_variance():
    perfect = [[0.1, 0.1, 0.1], [0.9, 0.9, 0.9], [0.5, 0.5, 0.5]]
    assert all(v == pytest.approx(1.0) for v in icc(perfect).values())
    assert all(math.isnan(v) for v in icc([[0.5, 0.5], [0.5, 0.5]]).values())
    # 0.1 is not a binary fraction: the target means differ from the grand mean by rounding only
    assert all(math.isnan(v) for v in icc(np.full((3, 3), 0.1)).values())
    with pytest.raises(ValueError, match="nan"):
        icc([[1, 2], [3, float("nan")]])
    with pytest.raises(ValueError, match="k >= 2"):
        icc([[1], [2]])


def test_equal_target_means_give_nan_where_the_denominator_is_msr_not_minus_1e30():
    # Every target (row) is a permutation of the same ratings: MSR is 0, up to rounding noise.
    y = np.array(list(itertools.permutations([0.1, 0.2, 0.7])))
    ours = icc(y)
    assert math.isnan(ours["ICC(1,k)"]) and math.isnan(ours["ICC(3,k)"])
    # The forms with a non-zero denominator keep their value: MSR = 0 gives -MSW / ((k-1) MSW) etc.
    assert ours["ICC(1,1)"] == pytest.approx(-0.5) and ours["ICC(3,1)"] == pytest.approx(-0.5)
    assert ours["ICC(2,1)"] == pytest.approx(-2 / 3) and ours["ICC(2,k)"] == pytest.approx(6.0)


def test_mean_pairwise_spearman():
    y = np.array([[1, 2, 3], [2, 1, 1], [3, 3, 2], [4, 4, 4]], dtype=float)
    pairs = [spearmanr(y[:, a], y[:, b]).statistic for a, b in [(0, 1), (0, 2), (1, 2)]]
    assert mean_pairwise_spearman(y) == pytest.approx(np.mean(pairs))
    # a constant rater has no ranks: only the other pair counts
    y[:, 2] = 0.5
    assert mean_pairwise_spearman(y) == pytest.approx(pairs[0])


def test_demographic_sensitivity_by_hand():
    p = [[0.2, 0.6, 0.4],   # spread 0.4
         [0.9, 0.9, 0.9],   # 0
         [0.0, 1.0, 0.5]]   # 1
    assert demographic_sensitivity(p) == pytest.approx((0.4 + 0 + 1) / 3)
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        demographic_sensitivity([[0.2, 1.2], [0.1, 0.3]])
