"""Paired comparisons inside the analysis: alignment, the logger, the bootstrap, the best-policy claim."""

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from cje.analysis import AnalysisSettings, analyze
from cje.analysis.comparisons import LOGGER, compare_policies, prompt_space
from cje.data.tables import Dataset, FreshTable
from cje.estimators.result import estimate_from_influence
from cje.inference.influence import influence_se


@pytest.fixture(scope="module")
def result(small_sim):
    settings = AnalysisSettings(estimators=("direct", "calibrated-dr-cpo", "calibrated-ips"), oracle_coverage=0.2)
    return analyze(small_sim.dataset, settings)


def test_every_pair_and_the_logger_are_compared(result):
    for name, comparisons in result.comparisons.items():
        assert len(comparisons.pairs) == 10  # four targets and the logger
        for pair in comparisons.pairs:
            d = pair.difference
            assert d.value >= 0  # higher estimate first
            if LOGGER not in (d.first, d.second):
                expected = result.estimate(name, d.first).value - result.estimate(name, d.second).value
                assert d.value == pytest.approx(expected)
    logger = result.logger
    assert logger is not None and logger.replicates is not None and logger.se_calibration > 0


def test_close_pairs_are_much_narrower_than_the_marginal_intervals(result):
    comparisons = result.comparisons["calibrated-dr-cpo"]
    pair = comparisons.pair("parallel_universe_prompt", "premium")
    a = result.estimate("calibrated-dr-cpo", "parallel_universe_prompt")
    b = result.estimate("calibrated-dr-cpo", "premium")
    assert pair.difference.se < 0.8 * np.hypot(a.se, b.se)


def test_refused_estimates_stay_out_of_the_family(result):
    comparisons = result.comparisons["calibrated-dr-cpo"]
    assert "unhelpful" in comparisons.refused
    for pair in comparisons.pairs:
        involved = "unhelpful" in (pair.difference.first, pair.difference.second)
        assert (pair.p_adjusted is None) == involved
    best = comparisons.best()
    assert best.policy not in (None, "unhelpful") and "unhelpful" in best.refused


def test_the_best_claim_names_a_near_tie(small_sim):
    result = analyze(small_sim.dataset, AnalysisSettings(estimators=("direct",), oracle_coverage=0.2))
    best = result.comparisons["direct"].best()
    # parallel_universe_prompt and premium differ by 0.004: never separated at n = 600
    assert not best.established and {best.policy, *best.tied_with} >= {"parallel_universe_prompt", "premium"}


def test_a_clear_winner_is_established():
    influence = np.random.default_rng(0).normal(0, 0.1, 300)
    estimates = {p: estimate_from_influence("direct", p, v, influence + np.random.default_rng(i).normal(0, .01, 300))
                 for i, (p, v) in enumerate({"a": 0.9, "b": 0.5, "c": 0.4}.items())}
    codes = {p: np.arange(300) for p in estimates}
    comparisons = compare_policies(estimates, (), codes, estimator="direct", n_prompts=300, level=0.95,
                                   adjustment="holm")
    best = comparisons.best()
    assert best.policy == "a" and best.established and best.tied_with == ()


def test_pairs_are_aligned_by_prompt_id_when_fresh_draws_differ(small_sim):
    """One policy's fresh draws cover only part of the logged prompts, in
    shuffled order, plus prompts the logged file lacks: the paired SE must
    equal a brute-force alignment by prompt id."""
    dataset = small_sim.dataset
    fresh = dataset.fresh["premium"]
    keep = np.random.default_rng(3).permutation(fresh.n)[: fresh.n // 2]
    ids = fresh.prompt_id[keep].copy()
    ids[:20] = [f"new_{i}" for i in range(20)]
    shifted = FreshTable("premium", ids, fresh.judge_score[keep], fresh.oracle_label[keep] * np.nan)
    changed = Dataset(dataset.logged, {**dataset.fresh, "premium": shifted})
    result = analyze(changed, AnalysisSettings(estimators=("direct",), oracle_coverage=0.3))
    pair = result.comparisons["direct"].pair("premium", "clone")
    assert pair.difference.n == dataset.logged.n + 20
    # brute force: each estimate's influence by prompt id, scaled to the union
    space = prompt_space(changed, {p: s.inputs for p, s in result.policies.items()})
    assert space.size == dataset.logged.n + 20
    series = {}
    for policy in ("premium", "clone"):
        estimate = result.estimate("direct", policy)
        inputs = result.policies[policy].inputs
        prompt_of_cluster = np.empty(inputs.n_direct_clusters, dtype=object)
        prompt_of_cluster[: dataset.logged.n] = dataset.logged.prompt_id
        prompt_of_cluster[inputs.direct_fresh_cluster] = changed.fresh[policy].prompt_id
        series[policy] = pd.Series(estimate.influence / estimate.n, index=prompt_of_cluster)
    union = series["premium"].index.union(series["clone"].index)
    brute = (series["premium"].reindex(union, fill_value=0) - series["clone"].reindex(union, fill_value=0)) * union.size
    assert pair.difference.se_sampling == pytest.approx(influence_se(brute.to_numpy()))


def test_bootstrap_resamples_prompts_jointly(small_sim):
    settings = AnalysisSettings(estimators=("direct",), oracle_coverage=0.2, inference="bootstrap", n_bootstrap=200)
    dataset = replace(small_sim.dataset, fresh={p: replace(f, oracle_label=f.oracle_label * np.nan)
                                               for p, f in small_sim.dataset.fresh.items()})
    result = analyze(dataset, settings)
    sizes = {result.estimate("direct", p).bootstrap.size for p in result.policies}
    assert len(sizes) == 1 and result.logger.bootstrap.size in sizes
    pair = result.comparisons["direct"].pair("premium", "clone")
    np.testing.assert_allclose(pair.difference.bootstrap, result.estimate("direct", "premium").bootstrap
                               - result.estimate("direct", "clone").bootstrap)
    assert pair.difference.inference.startswith("joint")
    a, b = result.estimate("direct", "premium"), result.estimate("direct", "clone")
    assert pair.difference.se < 0.7 * np.hypot(a.se, b.se)


def test_benjamini_hochberg_on_request(small_sim):
    result = analyze(small_sim.dataset, AnalysisSettings(estimators=("direct",), oracle_coverage=0.2,
                                                         multiplicity="bh"))
    comparisons = result.comparisons["direct"]
    assert comparisons.adjustment == "bh"
    assert all(p.p_adjusted is None or p.p_adjusted >= p.difference.p_value for p in comparisons.pairs)
    with pytest.raises(ValueError, match="multiplicity"):
        AnalysisSettings(multiplicity="bonferroni")
