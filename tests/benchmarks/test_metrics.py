"""The benchmark's metrics on small inputs whose answers are known by hand."""

import math

import numpy as np
import pytest
from scipy.stats import kendalltau

from benchmarks.lib.metrics import (
    debiased_rmse,
    interval_score,
    kendall_tau,
    oracle_noise_variance,
    pairwise_accuracy,
    top1_correct,
)

TRUTH = [0.1, 0.2, 0.3]


@pytest.mark.parametrize("estimate, accuracy, tau", [
    ([1, 2, 3], 1.0, 1.0),          # same order
    ([3, 2, 1], 0.0, -1.0),         # reversed
    ([2, 1, 3], 2 / 3, 1 / 3),      # first pair swapped: 2 of 3 pairs right
    ([1, 1, 3], 2.5 / 3, 2 / 3),    # a tie counts half for accuracy, nothing for tau
])
def test_pairwise_accuracy_and_kendall_tau_by_hand(estimate, accuracy, tau):
    assert pairwise_accuracy(estimate, TRUTH) == pytest.approx(accuracy)
    assert kendall_tau(estimate, TRUTH) == pytest.approx(tau)


def test_kendall_tau_matches_scipy_without_ties():
    rng = np.random.default_rng(0)
    for _ in range(20):
        truth, estimate = rng.normal(size=5), rng.normal(size=5)
        assert kendall_tau(estimate, truth) == pytest.approx(kendalltau(estimate, truth).statistic)
        assert kendall_tau(estimate, truth) == pytest.approx(2 * pairwise_accuracy(estimate, truth) - 1)


def test_pairs_tied_in_truth_are_not_scored():
    assert pairwise_accuracy([1, 2, 3], [0.5, 0.5, 0.9]) == pytest.approx(1.0)
    assert math.isnan(pairwise_accuracy([1, 2], [0.5, 0.5]))


def test_top1():
    assert top1_correct([0.1, 0.9, 0.5], [0.2, 0.8, 0.3]) == 1.0
    assert top1_correct([0.9, 0.1, 0.5], [0.2, 0.8, 0.3]) == 0.0
    assert top1_correct([0.9, 0.9, 0.5], [0.2, 0.8, 0.3]) == 0.0  # a tie is no pick
    assert math.isnan(top1_correct([0.1, 0.9], [0.5, 0.5]))


def test_interval_score_is_width_plus_scaled_miss():
    low, high = np.array([0.4, 0.4, 0.4]), np.array([0.6, 0.6, 0.6])
    truth = np.array([0.5, 0.7, 0.3])
    # inside: the width; outside by 0.1 at alpha 0.05: width + 2/0.05 * 0.1
    assert interval_score(low, high, truth, alpha=0.05) == pytest.approx([0.2, 4.2, 4.2])


def test_debiased_rmse_subtracts_the_truth_noise_per_run():
    error = np.array([0.1, -0.1])
    assert debiased_rmse(error) == pytest.approx(0.1)
    assert debiased_rmse(error, 0.005) == pytest.approx(math.sqrt(0.005))
    assert debiased_rmse(error, 0.02) == 0.0  # clipped at zero, never negative
    # per-run clipping: (0.04 - 0.01, max(0, 0 - 0.01)) -> mean 0.015
    assert debiased_rmse(np.array([0.2, 0.0]), 0.01) == pytest.approx(math.sqrt(0.015))
    assert math.isnan(debiased_rmse(np.array([])))


def test_oracle_noise_variance():
    truth = np.array([0.5, 0.9, 0.5])
    n_oracle = np.array([50, 50, np.inf])
    assert oracle_noise_variance(truth, n_oracle) == pytest.approx([0.25 / 50, 0.09 / 50, 0.0])
