"""MoCaE router math with known answers: ECE and reliability bins by hand, top-k gating by hand,
the two geometry terms against brute force and a hand-counted case, AdamW's first step, and an
over-confident router whose held-out ECE drops once the geometry terms calibrate it."""
import math

import numpy as np
import pytest

from papers.alignx.router import (Geometry, RouterSettings, expected_calibration_error, fit_geometry, fit_router,
                                  latent_projection, reliability, soft_targets, to_latent, top_k_gates,
                                  train_linear)

# conf 0.95 right -> bin (0.9, 1]; 0.85 wrong and 0.9 right -> bin (0.8, 0.9]; 0.8 right -> bin
# (0.7, 0.8] (bins are closed on the right); 0.4 wrong -> bin (0.3, 0.4].
PROBS = np.array([[0.95, 0.03, 0.02], [0.85, 0.10, 0.05], [0.15, 0.80, 0.05], [0.40, 0.35, 0.25],
                  [0.05, 0.05, 0.90]])
LABELS = np.array([0, 1, 1, 2, 2])


def test_ece_of_a_hand_computed_case():
    # (1/5)|1 - .95| + (2/5)|.5 - .875| + (1/5)|1 - .8| + (1/5)|0 - .4| = .01 + .15 + .04 + .08
    assert expected_calibration_error(PROBS, LABELS) == pytest.approx(0.28)
    assert expected_calibration_error(PROBS[:1], LABELS[:1]) == pytest.approx(0.05)
    assert expected_calibration_error(np.eye(3), np.arange(3)) == 0.0


def test_reliability_bins():
    bins = reliability(PROBS, LABELS)
    assert len(bins) == 10 and sum(b["count"] for b in bins) == 5
    assert (bins[8]["lower"], bins[8]["upper"]) == pytest.approx((0.8, 0.9))
    assert (bins[8]["count"], bins[8]["confidence"], bins[8]["accuracy"]) == (2, pytest.approx(0.875), 0.5)
    assert bins[7]["count"] == 1 and bins[3]["count"] == 1
    assert bins[0]["count"] == 0 and math.isnan(bins[0]["accuracy"])
    assert [b["count"] for b in reliability(PROBS, LABELS, n_bins=2)] == [1, 4]


def test_top_k_gates_by_hand():
    gates = np.array([[0.5, 0.3, 0.2], [0.2, 0.4, 0.4]])
    assert top_k_gates(gates, 2) == pytest.approx(np.array([[0.625, 0.375, 0.0], [0.0, 0.5, 0.5]]))
    assert top_k_gates(gates, 1) == pytest.approx(np.array([[1.0, 0, 0], [0, 1.0, 0]]))  # a tie: lower index
    assert top_k_gates(gates, 3) == pytest.approx(gates)
    with pytest.raises(ValueError):
        top_k_gates(gates, 4)
    with pytest.raises(TypeError):
        top_k_gates(gates, 1.0)
    with pytest.raises(ValueError):
        top_k_gates(np.array([[0.5, 0.6, 0.1]]), 1)


def test_soft_targets_by_hand():
    q_nat, q_frac = np.array([[0.5, 0.25, 0.25]]), np.array([[0.2, 0.2, 0.6]])
    t = soft_targets(np.array([0]), 3, q_nat, 0.6, q_frac, 0.4)
    assert t == pytest.approx(np.array([[(1 + 0.3 + 0.08) / 2, (0.15 + 0.08) / 2, (0.15 + 0.24) / 2]]))
    assert soft_targets(np.array([2]), 3, None, 0.6, None, 0.4) == pytest.approx(np.array([[0, 0, 1.0]]))
    fractal_only = soft_targets(np.array([0]), 3, None, 0.6, q_frac, 0.4)
    assert fractal_only == pytest.approx((np.eye(3)[[0]] + 0.4 * q_frac) / 1.4)


def test_natural_term_leaves_a_training_prompt_out_of_its_centroid():
    rng = np.random.default_rng(0)
    z = to_latent(rng.normal(size=(30, 8)), np.eye(8))
    y = np.repeat([0, 1, 2], 10)
    geometry = fit_geometry(z, y, eps=0.05, reference_size=4096, seed=0)
    got = geometry.natural(z, own=y)
    for i in (0, 15, 29):
        keep = np.arange(30) != i
        centroids = np.stack([z[keep & (y == c)].mean(axis=0) for c in range(3)])
        logits = -((z[i] - centroids) ** 2).sum(axis=1) / geometry.tau
        assert got[i] == pytest.approx(np.exp(logits) / np.exp(logits).sum())
    assert geometry.tau in np.logspace(-4, 2, 121)


def test_fractal_term_on_a_hand_counted_case():
    angles = np.radians([0, 1, 2, 3, 90, 91, 92, 93])
    z = np.stack([np.cos(angles), np.sin(angles)], axis=1)
    y = np.array([0, 0, 0, 0, 1, 1, 1, 1])
    geometry = Geometry(np.zeros((2, 2)), np.array([4, 4]), 1.0, z, y, np.arange(8), np.array([0.5, 0.5]), 0.25)
    assert geometry.scales(8) == [2, 4]
    assert Geometry(*[None] * 7, eps=0.03).scales(10) == [1, 1, 1, 2, 5, 9]  # 0.96 of 10 is capped at 9
    query = np.array([[np.cos(np.radians(0.5)), np.sin(np.radians(0.5))]])
    # scale 2: two of class 0 -> (2.5/3, 0.5/3); scale 4: four of class 0 -> (4.5/5, 0.5/5)
    assert geometry.fractal(query)[0] == pytest.approx([(2.5 / 3 + 0.9) / 2, (0.5 / 3 + 0.1) / 2])
    # training prompt 0 is not its own neighbour: its 4 nearest are 1, 2, 3 (class 0) and 4 (class 1)
    assert geometry.fractal(z[:1], training_rows=np.array([0]))[0] == pytest.approx([(2.5 / 3 + 0.7) / 2,
                                                                                     (0.5 / 3 + 0.3) / 2])


def test_first_adamw_step_moves_each_weight_by_the_learning_rate_against_its_gradient():
    rng = np.random.default_rng(1)
    z = to_latent(rng.normal(size=(6, 4)), np.eye(4))
    targets = np.eye(3)[[0, 1, 2, 0, 1, 2]]
    s = RouterSettings(latent_dim=4, learning_rate=0.1, batch_size=64, epochs=1)
    weights, bias = train_linear(z, targets, s)
    grad = z.T @ (np.full((6, 3), 1 / 3) - targets) / 6  # softmax of zero logits is uniform
    # step 1: m_hat = g and v_hat = g^2, so the step is lr g / (|g| + 1e-8); decay of a zero weight is 0
    assert weights == pytest.approx(-0.1 * grad / (np.abs(grad) + 1e-8), rel=1e-9)
    assert bias == pytest.approx(np.zeros(3), abs=1e-8)  # balanced classes: the bias gradient is 0 (to rounding)


def synthetic(rng, n, d=32, noise=0.15):
    """Three overlapping Gaussian axes with 15% of labels redrawn: no router can be sure."""
    means = np.random.default_rng(7).normal(size=(3, d)) * 3.6 / np.sqrt(d)
    y = rng.integers(0, 3, n)
    x = means[y] + rng.normal(size=(n, d))
    return x, np.where(rng.random(n) < noise, rng.integers(0, 3, n), y)


@pytest.mark.parametrize("seed", [0, 1])
def test_an_over_confident_router_is_calibrated_by_the_geometry_terms(seed):
    rng = np.random.default_rng(seed)
    x_train, y_train = synthetic(rng, 150)
    x_test, y_test = synthetic(rng, 2000)
    # a high learning rate and many epochs over few prompts in 256 dimensions: over-confident
    eces = {}
    for natural, fractal in [(False, False), (True, True), (True, False), (False, True)]:
        s = RouterSettings(learning_rate=0.05, epochs=100, natural=natural, fractal=fractal, seed=seed)
        gates = fit_router(x_train, y_train, s).gates(x_test)
        assert gates.sum(axis=1) == pytest.approx(np.ones(len(gates)))
        eces[natural, fractal] = expected_calibration_error(gates, y_test)
    assert eces[False, False] > 0.12
    assert eces[True, True] < 0.6 * eces[False, False]
    assert eces[True, False] < eces[False, False] and eces[False, True] < eces[False, False]


def test_router_is_seeded_and_checks_its_inputs():
    rng = np.random.default_rng(3)
    x, y = synthetic(rng, 60)
    s = RouterSettings(learning_rate=0.01, epochs=2)
    assert np.array_equal(fit_router(x, y, s).weights, fit_router(x, y, s).weights)
    assert latent_projection(32, 256, 0).shape == (32, 256)
    with pytest.raises(TypeError):
        fit_router(x, y.astype(float), s)
    with pytest.raises(TypeError):
        fit_router(x[0], y, s)
    with pytest.raises(ValueError):
        fit_router(x, np.where(y == 2, 3, y), s)
    with pytest.raises(TypeError):
        RouterSettings(latent_dim=2.5)
    with pytest.raises(ValueError):
        RouterSettings(eps=1.5)
    with pytest.raises(ValueError, match="at least two"):
        fit_router(x[:3], np.array([0, 1, 2]), s)
