import numpy as np
import pytest

from cje.calibration.weights import calibrate_weights, weights_from_log


def test_weights_from_extreme_log_ratios_do_not_overflow():
    weight = weights_from_log(np.array([-800.0, -790.0, -805.0]))
    assert np.isfinite(weight).all() and weight.mean() == pytest.approx(1.0)
    assert weight[1] / weight[0] == pytest.approx(np.exp(10.0))


def test_noise_unrelated_to_the_score_is_removed():
    """Log-prob noise (as between base and clone) makes raw weights vary; given
    the judge score they carry no information, so calibration flattens them."""
    rng = np.random.default_rng(2)
    n = 4000
    score = np.round(rng.random(n) * 20) / 20
    weight = weights_from_log(rng.normal(0, 1.0, n))
    fold = np.arange(n) % 5
    calibrated = calibrate_weights(weight, score, fold)
    def ess(w):
        return w.sum() ** 2 / (w.size * (w**2).sum())
    assert ess(weight) < 0.5
    assert ess(calibrated.weight) > 0.95
    assert calibrated.weight.mean() == pytest.approx(1.0)


def test_monotone_signal_is_kept_and_direction_found():
    rng = np.random.default_rng(3)
    n = 4000
    score = rng.random(n)
    weight = weights_from_log(2.0 * score + rng.normal(0, 0.3, n))
    calibrated = calibrate_weights(weight, score, np.arange(n) % 5)
    assert calibrated.increasing_share > 0.9
    assert np.corrcoef(calibrated.weight, score)[0, 1] > 0.9


def test_variance_cap_shrinks_toward_uniform():
    rng = np.random.default_rng(4)
    score = rng.random(2000)
    weight = weights_from_log(3.0 * score)
    capped = calibrate_weights(weight, score, np.arange(2000) % 5, variance_cap=0.1)
    assert capped.shrinkage < 1
    assert np.var(capped.weight) <= 0.1 * np.var(weight) * 1.0001
