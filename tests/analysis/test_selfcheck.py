"""The self-check: replays of the user's own data with a planted truth."""

import numpy as np
import pytest
from click.testing import CliRunner

import analyze_dataset
from cje.analysis import AnalysisSettings
from cje.analysis.selfcheck import plant_world, replay, self_check
from cje.data.load import load_dataset
from cje.errors import InsufficientLabelsError
from cje.world import simulate_dataset, write_simulated_dataset


@pytest.fixture(scope="module")
def sim():
    return simulate_dataset(600, seed=21, fresh_oracle_fraction=0.08)


def test_the_planted_world_keeps_a_flattered_policy_flattered(sim):
    world = plant_world(sim.dataset)
    assert world.shift["unhelpful"] < -0.2  # its own labels sit far below the calibration
    assert all(world.shift[p] == 0.0 or abs(world.shift[p]) < 0.05 for p in ("clone", "premium"))
    # the planted truths are close to the simulator's own
    for policy in ("clone", "premium", "unhelpful"):
        assert world.truth[policy] == pytest.approx(sim.sample_truth[policy], abs=0.04)


def test_a_replay_keeps_the_shape_of_the_data(sim):
    world = plant_world(sim.dataset)
    copy = replay(sim.dataset, world, np.random.default_rng(0))
    logged, original = copy.logged, sim.dataset.logged
    assert logged.n == original.n and len(set(logged.prompt_id)) == logged.n
    assert np.isfinite(logged.oracle_label).sum() == original.label_available.sum()  # every row labelled here
    assert copy.fresh["premium"].n == logged.n  # one draw per prompt, as in the data
    own = np.isfinite(copy.fresh["premium"].oracle_label).mean()
    assert own == pytest.approx(np.isfinite(sim.dataset.fresh["premium"].oracle_label).mean(), abs=0.03)
    assert set(np.unique(logged.judge_score)) <= set(np.unique(original.judge_score))


def test_self_check_reports_honest_coverage_and_the_failure_it_can_see(sim):
    result = self_check(sim.dataset, AnalysisSettings(estimators=("direct", "calibrated-dr-cpo"), oracle_coverage=0.2),
                        n_replays=40, rng=np.random.default_rng(1))
    cells = {(c.estimator, c.policy): c for c in result.cells}
    for policy in ("clone", "premium", "parallel_universe_prompt"):
        assert cells[("calibrated-dr-cpo", policy)].coverage >= 0.8
        assert abs(cells[("calibrated-dr-cpo", policy)].bias) < 0.02
    flattered = cells[("calibrated-dr-cpo", "unhelpful")]
    assert flattered.coverage < 0.3 and flattered.ok_share == 0.0  # wrong, and never marked ok
    assert cells[("direct", "unhelpful")].coverage >= 0.8  # corrected with its own labels


def test_self_check_needs_labels():
    unlabelled = simulate_dataset(200, seed=3, oracle_fraction=0.02)
    with pytest.raises(InsufficientLabelsError):
        plant_world(unlabelled.dataset)


def test_the_cli_prints_a_self_check(tmp_path):
    write_simulated_dataset(simulate_dataset(300, seed=5, fresh_oracle_fraction=0.1), tmp_path)
    result = CliRunner().invoke(analyze_dataset.main, [
        "--data", str(tmp_path / "cje_dataset.jsonl"), "--estimator", "direct", "--oracle-coverage", "0.3",
        "--no-plots", "--self-check", "10", "--quiet"])
    assert result.exit_code == 0, result.output
    assert "Self-check: 10 replays" in result.output and "CI coverage" in result.output


def test_self_check_runs_on_the_real_sample(arena_sample):
    dataset = load_dataset(arena_sample / "logged_data.jsonl", arena_sample / "fresh_draws",
                           probe_dir=arena_sample / "probe_slice")
    result = self_check(dataset, AnalysisSettings(estimators=("direct",), oracle_coverage=0.25), n_replays=8,
                        rng=np.random.default_rng(0))
    assert result.world.shift["unhelpful"] < -0.15
    assert {c.policy for c in result.cells} == set(dataset.fresh)
