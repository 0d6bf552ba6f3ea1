import numpy as np
import pytest

from cje.diagnostics.calibration import calibration_bins, label_support
from cje.diagnostics.transport import transport_check


def test_bins_per_judge_level():
    score = np.array([0.1, 0.1, 0.5, 0.5, 0.5])
    outcome = np.array([0.0, 0.2, 0.5, 0.6, 0.7])
    bins = calibration_bins(score, outcome)
    assert bins.score.tolist() == [0.1, 0.5]
    assert np.allclose(bins.mean, [0.1, 0.6])
    assert bins.count.tolist() == [2, 3]


def test_label_support_flags_extrapolation():
    labelled = np.full(100, 0.9)
    assert label_support(np.array([0.9, 0.88, 0.1, 0.2]), labelled) == pytest.approx(0.5)


def test_transport_check_detects_a_flattering_judge():
    rng = np.random.default_rng(0)
    prediction = rng.uniform(0.5, 0.9, 60)
    label = prediction - 0.3 + rng.normal(0, 0.1, 60)
    check = transport_check(label, prediction, np.arange(60))
    assert check.mean_residual == pytest.approx(-0.3, abs=0.05)
    assert check.ci().high < 0
    assert transport_check(label[:5], prediction[:5], np.arange(5)) is None
