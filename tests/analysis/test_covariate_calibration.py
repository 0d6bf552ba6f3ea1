"""Covariate-aware calibration inside the analysis: choice, refits, bootstrap, errors."""

from dataclasses import replace

import numpy as np
import pytest

from cje.analysis import AnalysisSettings, analyze
from cje.calibration.rewards import CalibrationMethod
from cje.errors import CJEError
from cje.world import simulate_dataset
from cje.world.lengths import length_biased_world

LENGTH = ("response_length",)


@pytest.fixture(scope="module")
def length_sim():
    return simulate_dataset(1500, seed=5, config=length_biased_world())


def test_auto_picks_two_stage_when_the_judge_likes_length_and_it_helps(length_sim):
    truth = length_sim.sample_truth
    plain = analyze(length_sim.dataset, AnalysisSettings(estimators=("direct",), oracle_coverage=0.25))
    aware = analyze(length_sim.dataset, AnalysisSettings(estimators=("direct",), oracle_coverage=0.25,
                                                         calibration_covariates=LENGTH))
    choice = aware.rewards.calibration
    assert choice.method is CalibrationMethod.TWO_STAGE and choice.two_stage_rmse < choice.monotone_rmse
    assert "chosen automatically" in aware.rewards.calibration_text
    for policy in ("premium", "parallel_universe_prompt"):
        plain_error = abs(plain.estimate("direct", policy).value - truth[policy])
        aware_error = abs(aware.estimate("direct", policy).value - truth[policy])
        assert aware_error < 0.5 * plain_error
    assert aware.estimate("direct", "premium").replicates is not None


def test_the_jackknife_and_bootstrap_refit_both_stages(length_sim):
    settings = AnalysisSettings(estimators=("direct",), oracle_coverage=0.2, calibration_covariates=LENGTH,
                                calibration="two-stage", inference="bootstrap", n_bootstrap=100)
    result = analyze(length_sim.dataset, settings)
    assert result.rewards.model.method is CalibrationMethod.TWO_STAGE
    estimate = result.estimate("direct", "clone")
    assert estimate.se_calibration > 0 and estimate.bootstrap.size > 90
    assert abs(np.mean(estimate.bootstrap) - estimate.value) < 3 * estimate.se


def test_monotone_on_request_reports_one_error(length_sim):
    result = analyze(length_sim.dataset, AnalysisSettings(estimators=("direct",), oracle_coverage=0.2,
                                                          calibration_covariates=LENGTH, calibration="monotone"))
    assert result.rewards.model.method is CalibrationMethod.MONOTONE
    assert result.rewards.calibration.two_stage_rmse is None


def test_covariates_must_exist_and_two_stage_needs_them(small_sim):
    with pytest.raises(ValueError, match="needs covariates"):
        AnalysisSettings(calibration="two-stage")
    logged = replace(small_sim.dataset.logged, covariates={})
    with pytest.raises(CJEError, match="no covariate response_length"):
        analyze(replace(small_sim.dataset, logged=logged),
                AnalysisSettings(estimators=("direct",), oracle_coverage=0.3, calibration_covariates=LENGTH))


def test_self_check_replays_carry_the_covariates(small_sim):
    from cje.analysis.selfcheck import self_check

    settings = AnalysisSettings(estimators=("direct",), oracle_coverage=0.3, calibration_covariates=LENGTH)
    checked = self_check(small_sim.dataset, settings, n_replays=2, rng=np.random.default_rng(0))
    assert checked is not None
