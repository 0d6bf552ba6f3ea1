import numpy as np
import pytest

from cje.analysis import AnalysisSettings, Failure, analyze, estimator_names
from cje.data.tables import Dataset, LoggedTable
from cje.world import simulate_dataset


def test_every_estimator_runs_and_full_coverage_jackknifes_only_what_uses_the_map(small_sim):
    result = analyze(small_sim.dataset, AnalysisSettings(estimators=estimator_names(), oracle_coverage=1.0))
    assert result.rewards.source == "outcomes"
    for (name, policy), estimate in result.results.items():
        assert not isinstance(estimate, Failure), (name, policy)
        assert np.isfinite(estimate.value) and estimate.se > 0
        if name in ("naive-direct", "raw-ips", "calibrated-ips") or estimate.own_labels:
            # the labels are the rewards (or the policy's own labels corrected it): nothing fitted to vary
            assert estimate.se_calibration == 0.0, (name, policy)
        else:
            # the fresh draws are scored with a map fitted on finitely many labels
            assert estimate.se_calibration > 0, (name, policy)


def test_partial_coverage_adds_a_jackknife_share():
    no_probe = simulate_dataset(600, seed=7)
    result = analyze(no_probe.dataset, AnalysisSettings(estimators=("direct", "stacked-dr"),
                                                        oracle_coverage=0.1))
    assert result.rewards.n_kept_labels == 60
    assert result.rewards.jackknife_groups == 10
    for estimate in result.results.values():
        assert estimate.replicates.size == 10
        assert 0.3 < estimate.calibration_share < 1.0


def test_same_seed_same_answer_and_seed_changes_the_slice(small_sim):
    settings = AnalysisSettings(estimators=("direct",), oracle_coverage=0.2, seed=5)
    first = analyze(small_sim.dataset, settings).estimate("direct", "premium")
    again = analyze(small_sim.dataset, settings).estimate("direct", "premium")
    other = analyze(small_sim.dataset, AnalysisSettings(estimators=("direct",), oracle_coverage=0.2,
                                                        seed=6)).estimate("direct", "premium")
    assert first.value == again.value and first.se == again.se
    assert first.value != other.value


def test_scarce_labels_fail_with_a_reason_not_nan(small_sim):
    result = analyze(small_sim.dataset, AnalysisSettings(estimators=("naive-direct", "direct"),
                                                         oracle_coverage=0.01))
    failure = result.results[("direct", "clone")]
    assert isinstance(failure, Failure) and "at least 10" in failure.reason
    assert result.statuses[("direct", "clone")].refused
    assert not isinstance(result.results[("naive-direct", "clone")], Failure)


def test_missing_logprobs_of_one_policy_leave_the_others_whole():
    sim = simulate_dataset(400, seed=2)
    logged = sim.dataset.logged
    broken = dict(logged.target_logprob)
    premium = broken["premium"].copy()
    premium[:37] = np.nan
    broken["premium"] = premium
    damaged = LoggedTable(prompt_id=logged.prompt_id, judge_score=logged.judge_score,
                          oracle_label=logged.oracle_label, reward=logged.reward,
                          base_logprob=logged.base_logprob, target_logprob=broken)
    result = analyze(Dataset(damaged, sim.dataset.fresh),
                     AnalysisSettings(estimators=("calibrated-dr-cpo",)))
    assert result.policies["premium"].n_dropped_logprob == 37
    assert result.policies["clone"].n_dropped_logprob == 0
    assert result.estimate("calibrated-dr-cpo", "clone").n == 400
    premium_estimate = result.estimate("calibrated-dr-cpo", "premium")
    assert premium_estimate.n == 363 and premium_estimate.n_dropped == 0


def test_prompts_without_fresh_draws_do_not_stop_dr():
    sim = simulate_dataset(400, seed=3)
    fresh = dict(sim.dataset.fresh)
    kept = fresh["clone"]
    from cje.data.tables import FreshTable
    fresh["clone"] = FreshTable("clone", kept.prompt_id[50:], kept.judge_score[50:], kept.oracle_label[50:])
    result = analyze(Dataset(sim.dataset.logged, fresh), AnalysisSettings(estimators=("dr-cpo",)))
    estimate = result.estimate("dr-cpo", "clone")
    assert estimate.n == 350 and estimate.n_dropped == 50


def test_bootstrap_inference_for_direct():
    no_probe = simulate_dataset(600, seed=7)
    result = analyze(no_probe.dataset, AnalysisSettings(estimators=("direct",), oracle_coverage=0.2,
                                                        inference="bootstrap", n_bootstrap=200))
    estimate = result.estimate("direct", "clone")
    assert estimate.bootstrap.size >= 195
    low, high = estimate.ci(0.95)
    assert low < estimate.value < high
    jackknifed = analyze(no_probe.dataset, AnalysisSettings(estimators=("direct",), oracle_coverage=0.2))
    assert estimate.se == pytest.approx(jackknifed.estimate("direct", "clone").se, rel=0.5)


def test_probe_labels_expose_the_policy_that_fools_the_judge(small_sim):
    result = analyze(small_sim.dataset, AnalysisSettings(estimators=("direct", "stacked-dr"),
                                                         oracle_coverage=0.5))
    assert result.statuses[("stacked-dr", "unhelpful")].refused
    assert not result.statuses[("stacked-dr", "premium")].refused
    transport = result.policies["unhelpful"].transport
    assert transport.audit == "fail" and transport.own_labels.mean_residual < -0.2
    # direct corrects itself with the policy's own labels instead of being refused
    own = result.estimate("direct", "unhelpful")
    borrowed = result.estimate("stacked-dr", "unhelpful")
    truth = small_sim.truth["unhelpful"]
    assert not result.statuses[("direct", "unhelpful")].refused
    assert abs(own.value - truth) < 3 * own.se < abs(borrowed.value - truth)
    assert "own responses" in own.notes[0] and own.own_labels > 50
