"""MRDR's choice of outcome model: made once on every label, by MRDR's own
out-of-fold criterion, and kept by the jackknife refits."""

import numpy as np

from cje.analysis import AnalysisSettings, analyze
from cje.analysis.runners import MRDR_SHARED_NOTE
from cje.world import simulate_dataset

POLICIES = ("clone", "parallel_universe_prompt", "premium", "unhelpful")


def _analyze(n_prompts, coverage, seed):
    sim = simulate_dataset(n_prompts, seed=seed)
    settings = AnalysisSettings(estimators=("mrdr", "calibrated-dr-cpo"), oracle_coverage=coverage, seed=seed)
    return analyze(sim.dataset, settings)


def test_with_few_labels_mrdr_keeps_the_shared_map_and_says_so():
    shared = 0
    for seed in range(4):
        result = _analyze(500, 0.05, seed)
        for policy in POLICIES:
            mrdr, dr = result.estimate("mrdr", policy), result.estimate("calibrated-dr-cpo", policy)
            if MRDR_SHARED_NOTE in mrdr.notes:
                shared += 1
                # the same outcome model in the estimate and in every refit
                assert mrdr.value == dr.value
                np.testing.assert_array_equal(mrdr.replicates, dr.replicates)
            else:
                assert mrdr.value != dr.value
    assert shared >= 8  # 25 labels: the policy's own weighted refit mostly predicts worse


def test_mrdr_uses_its_own_refit_where_that_predicts_better_out_of_fold():
    own = []
    for seed in range(4):
        result = _analyze(800, 0.25, seed)
        for policy in POLICIES:
            mrdr, dr = result.estimate("mrdr", policy), result.estimate("calibrated-dr-cpo", policy)
            if MRDR_SHARED_NOTE not in mrdr.notes:
                own.append(policy)
                assert abs(mrdr.value - dr.value) > 1e-5
    # the logger's clone has the logger's weights: nothing to refit for
    assert own and "clone" not in own
