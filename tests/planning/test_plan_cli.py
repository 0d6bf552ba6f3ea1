"""plan_labels.py through its command line, and the pilot's components."""

import json

import pytest
from click.testing import CliRunner

import plan_labels
from cje.analysis import AnalysisSettings, analyze
from cje.planning.pilot import pilot_components
from cje.world import simulate_dataset, write_simulated_dataset


@pytest.fixture(scope="module")
def pilot_dir(tmp_path_factory):
    directory = tmp_path_factory.mktemp("pilot")
    write_simulated_dataset(simulate_dataset(400, seed=21, oracle_fraction=0.5, fresh_oracle_fraction=0.1), directory)
    return directory


def test_pilot_components(small_sim):
    result = analyze(small_sim.dataset, AnalysisSettings(estimators=("direct",), oracle_coverage=0.3))
    pilot = pilot_components(result, "direct")
    assert pilot.n_labels == result.rewards.n_outcomes
    for c in pilot.policies:
        assert c.eval_variance > 0 and c.calibration_variance > 0
    assert any("unhelpful" in reason for reason in pilot.left_out)  # its own probe labels corrected it
    assert pilot.pair("premium", "clone").eval_variance > 0
    assert {p.policy for p in pilot.probes} == set(result.policies)


def test_plan_from_a_pilot(pilot_dir, tmp_path):
    output = tmp_path / "plan.json"
    result = CliRunner().invoke(plan_labels.main, [
        "--data", str(pilot_dir / "cje_dataset.jsonl"), "--half-width", "0.02", "--output", str(output),
    ])
    assert result.exit_code == 0, result.output
    assert "Recommended:" in result.output and "fixed oracle share" in result.output
    assert "Probe slices" in result.output
    plan = json.loads(output.read_text())
    assert plan["plan"]["n_prompts"] >= plan["plan"]["n_labels"] > 0
    assert max(plan["expected_half_width"].values()) <= 0.02


def test_stated_variances_and_a_budget():
    result = CliRunner().invoke(plan_labels.main, [
        "--eval-variance", "0.04", "--calibration-variance", "0.012", "--budget", "20000",
    ])
    assert result.exit_code == 0, result.output
    assert "narrowest intervals a budget of 20,000 buys" in result.output


@pytest.mark.parametrize("arguments", [
    ["--half-width", "0.01"],
    ["--eval-variance", "0.04", "--half-width", "0.01"],
    ["--eval-variance", "0.04", "--calibration-variance", "0.01"],
    ["--eval-variance", "0.04", "--calibration-variance", "0.01", "--half-width", "0.01", "--budget", "9"],
])
def test_bad_requests_exit_2(arguments):
    result = CliRunner().invoke(plan_labels.main, arguments)
    assert result.exit_code == 2 and "error:" in result.output
