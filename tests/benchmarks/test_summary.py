"""Subsampling and the per-regime summary on hand-made runs."""

import math

import numpy as np
import pytest

from benchmarks.lib.subsample import subsample_prompts
from benchmarks.lib.summary import regime_summary, runs_table
from benchmarks.lib.truth import Truth
from cje.world import simulate_dataset

TRUTH = Truth({"a": 0.5, "b": 0.7, "c": 0.2}, {"a": math.inf, "b": math.inf, "c": math.inf}, "hand-made")


def _row(seed, estimates, half_width=0.05, runtime=1.0):
    return {"cell": f"x|{seed}", "source": "hand", "n_prompts": 100, "n_logged": 100, "coverage": 0.5,
            "seed": seed, "variant": "direct", "runtime_s": runtime, "n_labels": 50, "analysis_error": None,
            "policies": [{"policy": p, "estimate": v, "se": 0.01, "ci_low": v - half_width,
                          "ci_high": v + half_width, "status": "ok", "reason": ""}
                         for p, v in estimates.items()]}


def test_regime_summary_by_hand():
    rows = [
        _row(0, {"a": 0.52, "b": 0.66, "c": 0.2}, runtime=1.0),   # errors .02, -.04; both CIs cover
        _row(1, {"a": 0.75, "b": 0.70, "c": 0.2}, runtime=3.0),   # a above b: one of three pairs wrong
    ]
    runs = runs_table(rows, TRUTH, alpha=0.05)
    summary = regime_summary(runs, accuracy=("a", "b"), ranking=("a", "b", "c")).iloc[0]
    errors = np.array([0.02, -0.04, 0.25, 0.0])
    assert summary["rmse"] == pytest.approx(np.sqrt(np.mean(errors**2)))
    assert summary["bias"] == pytest.approx(errors.mean())
    assert summary["ci_coverage"] == pytest.approx(3 / 4)  # a in seed 1 is 0.25 off, outside +-0.05
    assert summary["pairwise_acc"] == pytest.approx((1 + 2 / 3) / 2)
    assert summary["top1"] == pytest.approx(0.5)
    assert summary["runtime_s"] == pytest.approx(2.0)
    assert summary["runs"] == 2


def test_a_run_missing_a_ranked_policy_has_no_ranking():
    rows = [_row(0, {"a": 0.5, "b": 0.7}), _row(1, {"a": 0.5, "b": 0.7, "c": 0.2})]
    rows[0]["policies"].append({"policy": "c", "estimate": None, "se": None, "ci_low": None,
                                "ci_high": None, "status": "refuse", "reason": "too few labels"})
    summary = regime_summary(runs_table(rows, TRUTH, alpha=0.05), ("a", "b"), ("a", "b", "c")).iloc[0]
    assert summary["pairwise_acc"] == 1.0  # only seed 1 is ranked


def test_subsample_is_seeded_sized_and_keeps_fresh_draws_of_kept_prompts():
    dataset = simulate_dataset(300, seed=1).dataset
    first = subsample_prompts(dataset, 120, np.random.default_rng(5))
    again = subsample_prompts(dataset, 120, np.random.default_rng(5))
    other = subsample_prompts(dataset, 120, np.random.default_rng(6))
    assert first.logged.n == 120
    assert list(first.logged.prompt_id) == list(again.logged.prompt_id)
    assert set(first.logged.prompt_id) != set(other.logged.prompt_id)
    for fresh in first.fresh.values():
        assert set(fresh.prompt_id) == set(first.logged.prompt_id)
    assert subsample_prompts(dataset, 300, np.random.default_rng(5)) is dataset
