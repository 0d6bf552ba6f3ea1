"""The analysis script end to end, through its command line."""

import json

import pytest
from click.testing import CliRunner

import analyze_dataset
from cje.analysis import estimator_names
from cje.world import simulate_dataset, write_simulated_dataset


@pytest.fixture(scope="module")
def simulated_dir(tmp_path_factory):
    directory = tmp_path_factory.mktemp("sim")
    write_simulated_dataset(simulate_dataset(500, seed=11, fresh_oracle_fraction=0.1), directory)
    return directory


def test_all_estimators_with_json_plots_and_truth(simulated_dir, tmp_path):
    output = tmp_path / "results.json"
    plots = tmp_path / "plots"
    result = CliRunner().invoke(analyze_dataset.main, [
        "--data", str(simulated_dir / "cje_dataset.jsonl"), "--estimator", "all",
        "--oracle-coverage", "0.25", "--truth", str(simulated_dir / "truth.json"),
        "--output", str(output), "--plot-dir", str(plots),
    ])
    assert result.exit_code == 0, result.output
    assert "comparison of estimators" in result.output and "truth" in result.output
    assert "best policy is" in result.output
    document = json.loads(output.read_text())
    assert document["settings"]["oracle_coverage"] == 0.25 and document["settings"]["seed"] == 42
    assert len(document["data"]["sha256"]) == 64 and document["versions"]["numpy"]
    premium = document["policies"]["premium"]
    for key in ("estimate", "se", "ci_low", "ci_high", "n", "status", "weights"):
        assert key in premium
    assert set(premium["estimates"]) == set(estimator_names())
    assert premium["estimates"]["calibrated-dr-cpo"]["calibration_variance_share"] > 0
    assert document["policies"]["unhelpful"]["status"] == "refuse"
    for name in ("weight_dashboard.png", "calibration_comparison.png", "policy_estimates.png",
                 "extreme_weights_analysis.txt"):
        assert (plots / name).stat().st_size > 1000


def test_quiet_prints_only_the_table(simulated_dir):
    result = CliRunner().invoke(analyze_dataset.main, [
        "--data", str(simulated_dir / "cje_dataset.jsonl"), "--quiet", "--no-plots",
    ])
    assert result.exit_code == 0
    lines = result.output.strip().splitlines()
    assert lines[0] == "calibrated-ips" and lines[1].startswith("policy")
    assert len(lines) == 3 + 4  # title, header, rule, four policies


def test_unknown_estimator_is_a_usage_error(simulated_dir):
    result = CliRunner().invoke(analyze_dataset.main, [
        "--data", str(simulated_dir / "cje_dataset.jsonl"), "--estimator", "magic",
    ])
    assert result.exit_code == 2 and "choose from" in result.output


def test_missing_file_is_a_clear_error(tmp_path):
    result = CliRunner().invoke(analyze_dataset.main, ["--data", str(tmp_path / "nope.jsonl")])
    assert result.exit_code == 2 and "cannot be read" in result.output
