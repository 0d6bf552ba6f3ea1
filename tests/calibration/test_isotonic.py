import numpy as np
import pytest

from cje.calibration.isotonic import (
    SCIPY_ABOVE,
    IsotonicCalibrator,
    cross_fit_isotonic,
    fit_isotonic,
    monotone_fit,
)


def test_fit_is_monotone_and_matches_pooled_means():
    score = np.array([0.1, 0.1, 0.5, 0.5, 0.9, 0.9])
    target = np.array([0.2, 0.4, 0.8, 0.6, 0.5, 0.7])  # means 0.3, 0.7, 0.6 -> pool the last two
    fit = fit_isotonic(score, target)
    assert np.allclose(fit.predict(np.array([0.1, 0.5, 0.9])), [0.3, 0.65, 0.65])
    decreasing = fit_isotonic(score, target, increasing=False)
    assert np.all(np.diff(decreasing.values) <= 1e-12)


def test_weights_change_the_fit():
    score = np.array([0.0, 1.0, 1.0])
    target = np.array([0.0, 0.0, 1.0])
    heavy_last = fit_isotonic(score, target, weight=np.array([1.0, 1.0, 3.0]))
    assert heavy_last.predict(np.array([1.0]))[0] == pytest.approx(0.75)


def test_prediction_is_flat_beyond_the_ends_and_serialises():
    fit = fit_isotonic(np.array([0.2, 0.8]), np.array([0.1, 0.9]))
    assert fit.predict(np.array([0.0, 1.0])).tolist() == [0.1, 0.9]
    again = IsotonicCalibrator.from_json(fit.to_json())
    assert np.array_equal(again.predict(np.linspace(0, 1, 11)), fit.predict(np.linspace(0, 1, 11)))


def test_cross_fit_predictions_never_see_their_own_fold():
    rng = np.random.default_rng(1)
    score = rng.random(300)
    target = score + rng.normal(0, 0.1, 300)
    fold = np.arange(300) % 3
    fit = cross_fit_isotonic(score, target, fold)
    for k in range(3):
        alone = fit_isotonic(score[fold != k], target[fold != k])
        assert np.allclose(fit.out_of_fold[fold == k], alone.predict(score[fold == k]))
    assert not np.allclose(fit.out_of_fold, fit.full.predict(score))


@pytest.mark.parametrize("n", [1, 2, 7, 200, SCIPY_ABOVE, SCIPY_ABOVE + 1])
@pytest.mark.parametrize("increasing", [True, False])
def test_monotone_fit_equals_scipy_on_either_side_of_the_switch(n, increasing):
    from scipy.optimize import isotonic_regression

    rng = np.random.default_rng(n)
    value = rng.normal(size=n) + np.linspace(0, 2, n)
    weight = rng.exponential(size=n)
    expected = isotonic_regression(value, weights=weight, increasing=increasing).x
    assert np.allclose(monotone_fit(value, weight, increasing=increasing), expected, rtol=0, atol=1e-12)
