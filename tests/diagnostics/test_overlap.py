import numpy as np
import pytest

from cje.diagnostics.overlap import mean_raw_weight, target_coverage


def _draws(rng, n, target_probs, logger_probs):
    """Logged responses drawn from the logger, with both log-probs."""
    items = rng.choice(len(logger_probs), size=n, p=logger_probs)
    with np.errstate(divide="ignore"):
        return np.log(target_probs[items]) - np.log(logger_probs[items])


def test_full_support_averages_one_and_a_gap_shows():
    rng = np.random.default_rng(0)
    logger = np.array([0.4, 0.3, 0.2, 0.1, 0.0])
    target = np.array([0.1, 0.2, 0.3, 0.4, 0.0])
    full = mean_raw_weight(_draws(rng, 20_000, target, logger))
    assert full.value == pytest.approx(1.0, abs=0.03)
    low, high = full.ci()
    assert low < 1.0 < high
    gapped = np.array([0.05, 0.05, 0.1, 0.1, 0.7])  # 70% of its mass where the logger never goes
    gap = mean_raw_weight(_draws(rng, 20_000, gapped, logger))
    assert gap.value == pytest.approx(0.3, abs=0.02) and gap.ci()[1] < 0.95


def test_mean_weight_is_computed_in_log_space():
    tiny = mean_raw_weight(np.full(100, -5000.0))
    assert tiny.value == 0.0 and np.isfinite(tiny.se)
    assert mean_raw_weight(np.array([-800.0, -801.0])).value == pytest.approx(
        np.exp(-800.0) * (1 + np.exp(-1.0)) / 2, rel=1e-9)


def test_target_coverage_counts_draws_the_logger_could_produce():
    target_lp = np.array([-1.0, -1.0, -1.0, -1.0])
    logger_lp = np.array([-1.5, -2.0, -20.0, np.nan])
    coverage = target_coverage(target_lp, logger_lp, np.arange(4))
    assert coverage.n == 3 and coverage.value == pytest.approx(2 / 3)
    assert target_coverage(np.full(3, np.nan), np.full(3, np.nan), np.arange(3)) is None
