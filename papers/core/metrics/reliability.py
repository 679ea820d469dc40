"""Inter-rater reliability (Demo-SafetyBench, paper 3).

The six intraclass correlations of Shrout & Fleiss (1979), from the two-way ANOVA of an
n targets x k raters matrix (McGraw & Wong's names in brackets):

    ICC(1,1)  one-way random, single rater          (ICC1)     (MSR - MSW) / (MSR + (k-1) MSW)
    ICC(2,1)  two-way random, absolute agreement     (ICC2)     (MSR - MSE) / (MSR + (k-1) MSE + k (MSC - MSE) / n)
    ICC(3,1)  two-way mixed, consistency             (ICC3)     (MSR - MSE) / (MSR + (k-1) MSE)
    ICC(1,k), ICC(2,k), ICC(3,k): the same for the mean of the k raters
                                                                (MSR - MSW) / MSR
                                                                (MSR - MSE) / (MSR + (MSC - MSE) / n)
                                                                (MSR - MSE) / MSR

MSR, MSC, MSE: mean squares of rows (targets), columns (raters) and error; MSW: within targets.
Checked against pingouin and against Shrout & Fleiss's own Table 2 in tests.
A matrix with no variance at all gives nan (0/0), never a number; so does a form whose denominator
is zero up to rounding (all target means equal: MSR is then floating noise, and dividing by it
would give about -1e30).
"""
from __future__ import annotations

import itertools

import numpy as np
from scipy.stats import spearmanr

ICC_FORMS = ("ICC(1,1)", "ICC(2,1)", "ICC(3,1)", "ICC(1,k)", "ICC(2,k)", "ICC(3,k)")


def _matrix(ratings) -> np.ndarray:
    y = np.asarray(ratings, dtype=float)
    if y.ndim != 2 or y.shape[0] < 2 or y.shape[1] < 2:
        raise ValueError(f"need an n targets x k raters matrix with n, k >= 2; got shape {y.shape}")
    if np.isnan(y).any():
        raise ValueError("ratings contain nan: drop or impute incomplete targets first")
    return y


def _ratio(num: float, den: float, zero: float) -> float:
    """num / den, or nan when |den| <= zero (the size of rounding noise: den is zero)."""
    return num / den if abs(den) > zero else float("nan")


def icc(ratings) -> dict[str, float]:
    """Every Shrout-Fleiss ICC of an n x k matrix (rows: targets, columns: raters)."""
    y = _matrix(ratings)
    n, k = y.shape
    grand, rows, cols = y.mean(), y.mean(axis=1), y.mean(axis=0)
    ss_rows = k * ((rows - grand) ** 2).sum()
    ss_cols = n * ((cols - grand) ** 2).sum()
    ss_error = ((y - grand) ** 2).sum() - ss_rows - ss_cols
    msr, msc = ss_rows / (n - 1), ss_cols / (k - 1)
    mse = ss_error / ((n - 1) * (k - 1))
    msw = (ss_cols + ss_error) / (n * (k - 1))
    # Each squared deviation (of a value, a target mean or a rater mean from the grand mean) is off
    # by about eps * |y| * |deviation|, and the sums add n k of them: a denominator within that
    # (times a margin of 16) is rounding noise around zero.
    deviation = max(np.abs(y - grand).max(), np.abs(rows - grand).max(), np.abs(cols - grand).max())
    zero = 16 * n * k * np.finfo(float).eps * np.abs(y).max() * deviation
    return {
        "ICC(1,1)": _ratio(msr - msw, msr + (k - 1) * msw, zero),
        "ICC(2,1)": _ratio(msr - mse, msr + (k - 1) * mse + k * (msc - mse) / n, zero),
        "ICC(3,1)": _ratio(msr - mse, msr + (k - 1) * mse, zero),
        "ICC(1,k)": _ratio(msr - msw, msr, zero),
        "ICC(2,k)": _ratio(msr - mse, msr + (msc - mse) / n, zero),
        "ICC(3,k)": _ratio(msr - mse, msr, zero),
    }


def mean_pairwise_spearman(ratings) -> float:
    """Inter-rater correlation: the mean Spearman rho over every pair of raters (columns).
    A constant column has no ranks to correlate; pairs with one are left out (nan if all are)."""
    y = _matrix(ratings)
    rhos = []
    for a, b in itertools.combinations(range(y.shape[1]), 2):
        if np.ptp(y[:, a]) > 0 and np.ptp(y[:, b]) > 0:
            rhos.append(spearmanr(y[:, a], y[:, b]).statistic)
    return float(np.mean(rhos)) if rhos else float("nan")


def demographic_sensitivity(probabilities) -> float:
    """DS (pluralign's definition; the paper publishes none): the mean over targets of the spread
    (max - min) of one rater's unsafe probability across its demographic framings. Rows: targets,
    columns: framings; probabilities in [0, 1], so DS is in [0, 1]; 0 = the framing never matters."""
    p = _matrix(probabilities)
    if (p < 0).any() or (p > 1).any():
        raise ValueError("demographic sensitivity needs probabilities in [0, 1]")
    return float(np.ptp(p, axis=1).mean())
