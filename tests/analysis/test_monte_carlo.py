"""Statistical claims, checked by seeded simulation.

The default tier runs a small grid (about 15 s on 2 cores); the slow tier
(``pytest -m slow``) runs many more seeds and tightens the tolerances.
"""

import pytest

from cje.world import WorldConfig, population_truth
from tests.analysis.monte_carlo import run, summary

RECOMMENDED = ("direct", "calibrated-dr-cpo", "tmle", "stacked-dr")
TRUTH = population_truth(WorldConfig())


@pytest.fixture(scope="module")
def fast_grid():
    return summary(run(RECOMMENDED, (0.1, 0.5), n_prompts=800, seeds=40), TRUTH)


@pytest.mark.parametrize("coverage", [0.1, 0.5])
@pytest.mark.parametrize("estimator", RECOMMENDED)
def test_ci_coverage_is_near_nominal(fast_grid, estimator, coverage):
    rate, _, _ = fast_grid[(coverage, estimator)]
    assert 0.90 <= rate <= 0.99, f"{estimator} at {coverage:.0%} oracle: coverage {rate:.3f}"


@pytest.mark.parametrize("coverage", [0.1, 0.5])
@pytest.mark.parametrize("estimator", RECOMMENDED)
def test_bias_is_near_zero_and_se_matches_spread(fast_grid, estimator, coverage):
    _, biases, ratios = fast_grid[(coverage, estimator)]
    assert max(abs(b) for b in biases) < 0.006
    assert all(0.75 < r < 1.35 for r in ratios), ratios


@pytest.mark.slow
def test_slow_tier_every_calibrated_estimator():
    estimators = RECOMMENDED + ("calibrated-ips", "mrdr", "dr-cpo")
    table = summary(run(estimators, (0.05, 0.1, 0.25, 0.5), n_prompts=1000, seeds=200), TRUTH)
    failures = []
    for (coverage, estimator), (rate, biases, ratios) in table.items():
        if not 0.92 <= rate <= 0.985:
            failures.append(f"{estimator}@{coverage}: coverage {rate:.3f}")
        if max(abs(b) for b in biases) > 0.006:
            failures.append(f"{estimator}@{coverage}: bias {biases}")
        if not all(0.85 < r < 1.2 for r in ratios):
            failures.append(f"{estimator}@{coverage}: SE/SD {ratios}")
    assert not failures, "\n".join(failures)
