"""The real Arena sample in ../shared/data (skipped when absent)."""

import numpy as np
import pytest

from cje.analysis import AnalysisSettings, Failure, analyze, estimator_names
from cje.data.load import load_dataset
from cje.diagnostics.reasons import ReasonCode


@pytest.fixture(scope="module")
def real_result(arena_sample):
    dataset = load_dataset(arena_sample / "logged_data.jsonl", arena_sample / "fresh_draws")
    return analyze(dataset, AnalysisSettings(estimators=estimator_names(), oracle_coverage=0.5, seed=42))


def test_every_estimator_runs_on_every_policy(real_result):
    for key, estimate in real_result.results.items():
        assert not isinstance(estimate, Failure), key
        assert np.isfinite(estimate.value) and np.isfinite(estimate.se)


@pytest.mark.parametrize("estimator", ["direct", "dr-cpo", "calibrated-dr-cpo", "mrdr", "tmle", "stacked-dr"])
def test_direct_and_dr_put_unhelpful_far_below_the_others(real_result, estimator):
    unhelpful = real_result.estimate(estimator, "unhelpful").value
    for policy in ("clone", "parallel_universe_prompt"):
        assert real_result.estimate(estimator, policy).value - unhelpful > 0.2


def test_calibrated_weights_of_clone_have_high_ess(real_result):
    weights = real_result.policies["clone"].weights
    assert weights.ess_calibrated > 0.90
    assert weights.ess_raw < 0.5  # the provider's log-prob noise the calibration removes


def test_ips_on_unhelpful_is_refused_for_lack_of_overlap(real_result):
    for estimator in ("raw-ips", "calibrated-ips"):
        status = real_result.statuses[(estimator, "unhelpful")]
        assert status.refused and status.has(ReasonCode.NO_OVERLAP, ReasonCode.SUPPORT_GAP)


def test_probe_slices_catch_and_correct_the_flattered_policy(arena_sample):
    dataset = load_dataset(arena_sample / "logged_data.jsonl", arena_sample / "fresh_draws",
                           probe_dir=arena_sample / "probe_slice")
    result = analyze(dataset, AnalysisSettings(estimators=("direct", "stacked-dr")))
    transport = result.policies["unhelpful"].transport
    assert transport.own_labels.mean_residual < -0.2 and transport.audit != "pass"
    assert result.statuses[("stacked-dr", "unhelpful")].refused
    assert result.estimate("direct", "unhelpful").value < 0.25  # probe oracle mean: 0.159
    clone = result.policies["clone"].transport
    assert clone.audit != "fail" and clone.own_labels.ci().low < 0 < clone.own_labels.ci().high
