"""The whole experiment offline: simulator -> real pipeline -> analysis -> truth.

With every response oracle-labelled (100% coverage), the analysis must recover
each policy's true value (for the prompts served) within its confidence
interval in at least 90% of seeds.
"""

from __future__ import annotations

import json
import urllib.request

import numpy as np
import pytest
from click.testing import CliRunner

import generate_arena_data
import policy_config as pc
from cje.analysis import AnalysisSettings, analyze
from cje.data.load import load_dataset
from cje.simulator import SimulatorConfig, build_policy_routes, run_simulator
from cje.world.config import WorldConfig

SEEDS = (1, 2, 3, 4, 5)
N_PROMPTS = 100


def _run_seed(seed: int, data_dir) -> tuple[dict[str, float], object]:
    world = WorldConfig()
    routes = build_policy_routes(((n, r.model, r.system_prompt) for n, r in pc.POLICIES.items()), world)
    config = SimulatorConfig(policies=routes, judge_model=pc.JUDGE.model, oracle_model=pc.ORACLE.model,
                             world=world, seed=seed, population_prompts=2_000)
    with run_simulator(config) as sim:
        result = CliRunner(env={"CJE_BASE_URL": sim.base_url, "CJE_API_KEY": "sk-test"}).invoke(
            generate_arena_data.main,
            ["--n-samples", str(N_PROMPTS), "--prompts-file", "cje/pipeline/default_prompts.jsonl",
             "--data-dir", str(data_dir), "--seed", str(seed), "--oracle-fraction", "1.0",
             "--probe-fraction", "1.0", "--concurrency", "16", "--quiet"],
        )
        assert result.exit_code == 0, result.output
        with urllib.request.urlopen(f"{sim.base_url}/simulator/truth", timeout=60) as reply:
            truth = json.loads(reply.read())["served"]
    dataset = load_dataset(data_dir / "cje_dataset.jsonl")
    analysis = analyze(dataset, AnalysisSettings(estimators=("direct", "stacked-dr"), oracle_coverage=1.0))
    return truth, analysis


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    return {seed: _run_seed(seed, tmp_path_factory.mktemp(f"seed{seed}")) for seed in SEEDS}


def test_full_oracle_coverage_recovers_every_policy_in_90_percent_of_seeds(runs):
    covered: dict[str, list[bool]] = {}
    for truth, analysis in runs.values():
        assert analysis.rewards.source == "outcomes"  # every row labelled: nothing calibrated
        for policy in analysis.policies:
            low, high = analysis.estimate("direct", policy).ci(0.95)
            covered.setdefault(policy, []).append(low <= truth[policy] <= high)
    assert set(covered) == {"clone", "parallel_universe_prompt", "premium", "unhelpful"}
    for policy, hits in covered.items():
        assert np.mean(hits) >= 0.9, f"{policy}: covered in {sum(hits)} of {len(hits)} seeds"


def test_doubly_robust_recovers_the_policies_the_judge_reads_correctly(runs):
    hits = []
    for truth, analysis in runs.values():
        for policy in ("clone", "parallel_universe_prompt", "premium"):
            low, high = analysis.estimate("stacked-dr", policy).ci(0.95)
            hits.append(low <= truth[policy] <= high)
        # the fooled judge is caught by the policy's own labels, and DR is refused for it
        assert analysis.statuses[("stacked-dr", "unhelpful")].refused
    assert np.mean(hits) >= 0.9
