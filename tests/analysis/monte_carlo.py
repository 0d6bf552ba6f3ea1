"""Seeded Monte-Carlo runs of the analysis on the statistical simulator."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cje.analysis import AnalysisSettings, analyze
from cje.world import simulate_dataset

HONEST_POLICIES = ("clone", "parallel_universe_prompt", "premium")


@dataclass(frozen=True)
class Record:
    value: float
    se: float
    covered: bool


def run(estimators, coverages, *, n_prompts, seeds, level=0.95):
    """{(coverage, estimator, policy): [Record per seed]} against population truth."""
    records: dict[tuple[float, str, str], list[Record]] = {}
    for seed in range(seeds):
        sim = simulate_dataset(n_prompts, seed=10_000 + seed)
        for coverage in coverages:
            settings = AnalysisSettings(estimators=estimators, oracle_coverage=coverage, seed=seed)
            result = analyze(sim.dataset, settings)
            for estimator in estimators:
                for policy in HONEST_POLICIES:
                    estimate = result.estimate(estimator, policy)
                    low, high = estimate.ci(level)
                    truth = sim.truth[policy]
                    records.setdefault((coverage, estimator, policy), []).append(
                        Record(estimate.value, estimate.se, low <= truth <= high))
    return records


def summary(records, truth_of):
    """Per (coverage, estimator): coverage rate, mean bias, mean SE / empirical SD."""
    table = {}
    keys = {(c, e) for c, e, _ in records}
    for coverage, estimator in sorted(keys):
        covered, biases, ratios = [], [], []
        for policy in HONEST_POLICIES:
            rows = records[(coverage, estimator, policy)]
            values = np.array([r.value for r in rows])
            covered.extend(r.covered for r in rows)
            biases.append(values.mean() - truth_of[policy])
            ratios.append(np.mean([r.se for r in rows]) / values.std(ddof=1))
        table[(coverage, estimator)] = (float(np.mean(covered)), biases, ratios)
    return table
