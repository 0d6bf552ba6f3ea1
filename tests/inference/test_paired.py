"""Paired differences: alignment by prompt, jackknife of differences, adjustment."""

import numpy as np
import pytest
from scipy import stats

from cje.estimators.result import Estimate, estimate_from_influence
from cje.inference.influence import influence_se, jackknife_variance, prompt_mean_influence
from cje.inference.paired import Difference, adjust_p_values, aligned_difference_influence, paired_difference


def _mean_estimate(policy: str, values: np.ndarray) -> Estimate:
    value, influence = prompt_mean_influence(values, np.arange(values.size), values.size)
    return estimate_from_influence("direct", policy, value, influence)


def test_same_prompts_give_the_se_of_the_per_prompt_difference():
    rng = np.random.default_rng(0)
    shared = rng.normal(size=400)
    x, y = shared + rng.normal(0, 0.3, 400), shared + 0.1 + rng.normal(0, 0.3, 400)
    a, b = _mean_estimate("a", x), _mean_estimate("b", y)
    codes = np.arange(400)
    d = paired_difference(a, codes, b, codes, n_prompts=400)
    assert d.value == pytest.approx(x.mean() - y.mean())
    assert d.se == pytest.approx(np.std(x - y, ddof=1) / np.sqrt(400))
    assert d.se < 0.5 * np.hypot(a.se, b.se)  # the shared difficulty cancels
    assert d.df == 399 and d.inference == "paired influence function"


def test_different_prompt_sets_are_aligned_by_code():
    first = np.array([1.0, -1.0, 2.0, -2.0])  # prompts 0..3
    second = np.array([3.0, -3.0])  # prompts 2 and 5
    combined = aligned_difference_influence(first, np.array([0, 1, 2, 3]), second, np.array([5, 2]), 6)
    # union {0, 1, 2, 3, 5}: N = 5; prompt 2 carries both
    expected = 5 * np.array([1 / 4, -1 / 4, 2 / 4 + 3 / 2, -2 / 4, -3 / 2])
    np.testing.assert_allclose(combined, expected)


def test_mismatched_lengths_are_refused():
    with pytest.raises(ValueError, match="influence values"):
        aligned_difference_influence(np.zeros(3), np.arange(2), np.zeros(2), np.arange(2), 3)


def test_jackknife_of_the_difference_cancels_shared_calibration_error():
    rng = np.random.default_rng(1)
    common = rng.normal(0, 0.02, 10)
    a = _mean_estimate("a", rng.normal(size=50)).with_calibration(0.6 + common + rng.normal(0, 0.001, 10))
    b = _mean_estimate("b", rng.normal(size=50)).with_calibration(0.5 + common + rng.normal(0, 0.001, 10))
    codes = np.arange(50)
    d = paired_difference(a, codes, b, codes, n_prompts=50)
    assert d.se_calibration == pytest.approx(np.sqrt(jackknife_variance(a.replicates - b.replicates)))
    assert d.se_calibration < 0.2 * a.se_calibration


def test_an_estimate_without_replicates_enters_at_its_value():
    a = _mean_estimate("a", np.linspace(0, 1, 20)).with_calibration(np.array([0.4, 0.5, 0.6]))
    b = _mean_estimate("b", np.linspace(0, 1, 20))
    d = paired_difference(a, np.arange(20), b, np.arange(20), n_prompts=20)
    assert d.se_calibration == pytest.approx(a.se_calibration)
    assert d.se_sampling == 0.0  # same values on the same prompts


def test_bootstrap_replicates_are_differenced_when_both_have_them():
    a = _mean_estimate("a", np.linspace(0, 1, 20)).with_bootstrap(np.linspace(0.4, 0.6, 201))
    b = _mean_estimate("b", np.linspace(0, 1, 20) - 0.1).with_bootstrap(np.linspace(0.3, 0.5, 201))
    d = paired_difference(a, np.arange(20), b, np.arange(20), n_prompts=20)
    np.testing.assert_allclose(d.bootstrap, 0.1)
    assert d.se == pytest.approx(0.0, abs=1e-12) and d.p_value < 1e-6
    spread = paired_difference(a, np.arange(20), b.with_bootstrap(np.linspace(0.5, 0.3, 201)), np.arange(20),
                               n_prompts=20)
    low, high = spread.ci(0.95)
    assert low < 0.1 < high and spread.p_value == pytest.approx(2 * stats.norm.sf(0.1 / spread.se))
    assert d.reversed().value == -d.value and d.reversed().first == "b"


def test_p_value_and_interval_agree():
    d = Difference("direct", "a", "b", 0.02, 500, 0.01, 0.0, 499)
    low, _ = d.ci(0.95)
    assert (low > 0) == (d.p_value < 0.05)
    assert d.p_value == pytest.approx(0.0460, abs=1e-3)


@pytest.mark.parametrize(("method", "expected"), [
    ("holm", [0.03, 0.06, 0.06, 0.02]),
    ("bh", [0.02, 0.04, 0.04, 0.02]),
    ("none", [0.01, 0.04, 0.03, 0.005]),
])
def test_adjusted_p_values(method, expected):
    np.testing.assert_allclose(adjust_p_values(np.array([0.01, 0.04, 0.03, 0.005]), method), expected)


def test_adjustment_skips_nan_and_caps_at_one():
    adjusted = adjust_p_values(np.array([0.6, np.nan, 0.5]), "holm")
    assert np.isnan(adjusted[1]) and adjusted[0] == 1.0 and adjusted[2] == 1.0
    with pytest.raises(ValueError, match="holm"):
        adjust_p_values(np.array([0.1]), "bonferroni")


def test_paired_interval_covers_in_a_small_monte_carlo():
    rng = np.random.default_rng(7)
    covered = []
    for _ in range(300):
        shared = rng.normal(size=200)
        x, y = shared + rng.normal(0, 0.5, 200), shared + 0.05 + rng.normal(0, 0.5, 200)
        d = paired_difference(_mean_estimate("a", x), np.arange(200), _mean_estimate("b", y), np.arange(200),
                              n_prompts=200)
        low, high = d.ci(0.95)
        covered.append(low <= -0.05 <= high)
    assert 0.91 <= np.mean(covered) <= 0.99
    assert influence_se(np.zeros(3)) == 0.0
