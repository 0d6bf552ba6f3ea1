"""Two-stage calibration: index of judge score and covariates, then a monotone map."""

import numpy as np
import pytest

from cje.calibration.covariates import covariate_matrix, cross_fit_two_stage, fit_two_stage
from cje.calibration.isotonic import cross_fit_isotonic, score_levels
from cje.errors import CJEError


def _length_biased(n: int, seed: int):
    """Labels follow quality; the judge adds 0.3 per SD of log length."""
    rng = np.random.default_rng(seed)
    quality = rng.uniform(0, 1, n)
    length = np.exp(6 + 0.6 * rng.standard_normal(n))
    z = (np.log(length) - 6) / 0.6
    judge = np.clip(np.round((quality + 0.1 * z + rng.normal(0, 0.05, n)) * 20) / 20, 0, 1)
    label = np.clip(quality + rng.normal(0, 0.05, n), 0, 1)
    return score_levels(judge).with_covariates(length[:, None]), label


def test_two_stage_beats_the_judge_alone_when_length_biases_it():
    scores, label = _length_biased(2000, 0)
    fold = np.arange(2000) % 5
    two = cross_fit_two_stage(scores, label, fold)
    mono = cross_fit_isotonic(scores, label, fold)
    assert np.mean((label - two.out_of_fold) ** 2) < 0.6 * np.mean((label - mono.out_of_fold) ** 2)
    test_scores, test_label = _length_biased(2000, 1)
    assert np.mean((test_label - two.full.predict(test_scores)) ** 2) < 0.6 * np.mean(
        (test_label - mono.full.predict(test_scores)) ** 2)


def test_predictions_are_bounded_by_the_labels():
    scores, label = _length_biased(500, 2)
    fit = fit_two_stage(scores, label)
    prediction = fit.predict(scores)
    assert prediction.min() >= label.min() - 1e-12 and prediction.max() <= label.max() + 1e-12


def test_rows_without_covariates_are_refused_but_curves_are_drawn():
    scores, label = _length_biased(300, 3)
    fit = fit_two_stage(scores, label)
    with pytest.raises(ValueError, match="carry none"):
        fit.predict(score_levels(scores.values))
    curve = fit.predict(np.linspace(0, 1, 11))
    assert curve.shape == (11,) and np.all(np.diff(curve) >= -1e-12)
    assert fit.to_json()["kind"] == "two-stage"


def test_zero_weights_drop_rows():
    scores, label = _length_biased(400, 4)
    weight = np.r_[np.ones(200), np.zeros(200)]
    weighted = fit_two_stage(scores, label, weight=weight)
    subset = fit_two_stage(scores.take(np.arange(200)), label[:200])
    np.testing.assert_allclose(weighted.predict(scores), subset.predict(scores), atol=1e-9)


def test_covariate_matrix_names_what_is_missing():
    columns = {"response_length": np.array([1.0, 2.0])}
    assert covariate_matrix(columns, (), n_rows=2, source="f") is None
    assert covariate_matrix(columns, ("response_length",), n_rows=2, source="f").shape == (2, 1)
    with pytest.raises(CJEError, match="no covariate tokens"):
        covariate_matrix(columns, ("tokens",), n_rows=2, source="f")
    with pytest.raises(CJEError, match="numbers on every row"):
        covariate_matrix({"x": np.array([1.0, np.nan])}, ("x",), n_rows=2, source="f")
