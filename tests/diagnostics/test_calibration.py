import numpy as np
import pytest

from cje.diagnostics.calibration import calibration_bins, label_support


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
