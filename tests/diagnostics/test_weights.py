import numpy as np
import pytest

from cje.diagnostics.weights import (
    effective_sample_fraction,
    hill_tail_index,
    top_share,
    weight_concentration,
    weight_diagnostics,
)


def test_ess_extremes():
    assert effective_sample_fraction(np.ones(100)) == pytest.approx(1.0)
    one_row = np.zeros(100)
    one_row[3] = 100.0
    assert effective_sample_fraction(one_row) == pytest.approx(0.01)


def test_hill_index_recovers_a_pareto_tail():
    rng = np.random.default_rng(0)
    for alpha in (1.0, 2.5):
        sample = rng.pareto(alpha, 200_000) + 1.0
        assert hill_tail_index(sample, tail_fraction=0.01) == pytest.approx(alpha, rel=0.1)
    assert hill_tail_index(np.ones(1000)) == float("inf")


def test_top_share_and_concentration_curve():
    weight = np.ones(1000)
    weight[0] = 1000.0
    assert top_share(weight, 0.01) == pytest.approx((1000 + 9) / 1999)
    x, y = weight_concentration(np.ones(500))
    assert np.allclose(x, y)


def test_near_zero_share_counts_rows_the_target_would_not_produce():
    raw = np.concatenate([np.full(90, 1e-5), np.full(10, 9.9999)])
    d = weight_diagnostics(raw / raw.mean(), np.ones(100))
    assert d.near_zero_share == pytest.approx(0.9)
    assert d.ess_calibrated == pytest.approx(1.0)


def test_weight_calibration_shift_sees_a_hump_shaped_weight():
    """Weights that peak at middling judge scores: the monotone calibration
    flattens the hump and moves calibrated IPS away from raw IPS."""
    rng = np.random.default_rng(3)
    n = 20_000
    score = rng.uniform(0, 1, n)
    weight = np.exp(-((score - 0.3) ** 2) / 0.02)
    weight /= weight.mean()
    reward = score
    from cje.calibration.weights import calibrate_weights
    from cje.diagnostics.weights import weight_calibration_shift

    calibrated = calibrate_weights(weight, score, np.arange(n) % 5).weight
    shift = weight_calibration_shift(reward, weight, calibrated, score)
    low, high = shift.ci()
    assert abs(shift.value) > 0.01 and (low > 0 or high < 0)
