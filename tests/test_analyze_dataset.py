"""The analysis script end to end, through its command line."""

import json
import re

import pandas as pd
import pytest
from click.testing import CliRunner

import analyze_dataset
from cje.analysis import estimator_names
from cje.report.schema import load_schema
from cje.world import simulate_dataset, write_simulated_dataset


@pytest.fixture(scope="module")
def simulated_dir(tmp_path_factory):
    directory = tmp_path_factory.mktemp("sim")
    write_simulated_dataset(simulate_dataset(500, seed=11, fresh_oracle_fraction=0.1), directory)
    return directory


def validate(document):
    import jsonschema

    jsonschema.Draft202012Validator(load_schema(),
                                    format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER).validate(document)


def test_all_estimators_with_json_csv_report_plots_and_truth(simulated_dir, tmp_path):
    output, table, report, plots = tmp_path / "r.json", tmp_path / "r.csv", tmp_path / "r.html", tmp_path / "plots"
    result = CliRunner().invoke(analyze_dataset.main, [
        "--data", str(simulated_dir / "cje_dataset.jsonl"), "--estimator", "all",
        "--oracle-coverage", "0.25", "--truth", str(simulated_dir / "truth.json"),
        "--output", str(output), "--output-csv", str(table), "--report", str(report), "--plot-dir", str(plots),
    ])
    assert result.exit_code == 0, result.output
    assert "comparison of estimators" in result.output and "truth" in result.output
    assert "oracle coverage 0.25 (125 of 500 oracle labels kept) · seed 42" in result.output
    assert "REFUSE" not in result.output and "WARN" not in result.output
    assert "paired comparisons (stacked-dr)" in result.output
    assert re.search(r"^stacked-dr: .*paired tests", result.output, flags=re.M)  # the one best-policy claim
    document = json.loads(output.read_text())
    validate(document)
    assert all(isinstance(arg, str) for arg in document["command_line"])  # sys.argv: pytest's, under CliRunner
    assert document["settings"]["oracle_coverage"] == 0.25 and document["settings"]["seed"] == 42
    assert {f["role"] for f in document["inputs"]["files"]} == {"logged", "fresh-draws", "truth"}
    premium = document["policies"]["premium"]
    assert set(premium["estimates"]) == set(estimator_names())
    assert "estimate" not in premium  # nothing at the policy level belongs to an implicit estimator
    assert premium["estimates"]["calibrated-dr-cpo"]["calibration_variance_share"] > 0
    assert document["policies"]["unhelpful"]["estimates"]["stacked-dr"]["status"] == "refuse"
    assert document["best_policy"] is None or document["best_policy"] in document["policies"]
    stacked = next(entry for entry in document["comparisons"] if entry["estimator"] == "stacked-dr")
    assert len(stacked["pairs"]) == 10 and stacked["best_policy"]["claim"].startswith("stacked-dr:")
    frame = pd.read_csv(table)
    assert len(frame) == 4 * len(estimator_names())
    assert not frame.duplicated(["policy", "estimator"]).any()
    assert report.read_text().startswith("<!doctype html>")
    for name in ("weight_dashboard.png", "calibration_comparison.png", "policy_estimates.png",
                 "extreme_weights_analysis.txt", "policy_differences.png"):
        assert (plots / name).stat().st_size > 1000


def test_quiet_prints_the_tables_and_keeps_the_reasons(simulated_dir):
    result = CliRunner().invoke(analyze_dataset.main, [
        "--data", str(simulated_dir / "cje_dataset.jsonl"), "--quiet", "--no-plots",
    ])
    assert result.exit_code == 0
    lines = result.output.strip().splitlines()
    assert lines[0].startswith("calibrated-ips · sim") and "oracle coverage 1 (500 of 500" in lines[0]
    assert lines[0].endswith("seed 42") and lines[1].startswith("policy")
    assert "Why estimates are flagged:" in result.output and "[support-gap]" in result.output
    assert "Dataset" not in result.output and "written" not in result.output


def test_the_columns_do_not_change_with_coverage(simulated_dir):
    headers = []
    for coverage in ("0.2", "1"):
        result = CliRunner().invoke(analyze_dataset.main, [
            "--data", str(simulated_dir / "cje_dataset.jsonl"), "--quiet", "--no-plots",
            "--oracle-coverage", coverage,
        ])
        headers.append(result.output.splitlines()[1].split())
    assert headers[0] == headers[1]


def test_a_sweep_writes_one_table_one_figure_one_csv_and_a_valid_json(simulated_dir, tmp_path):
    result = CliRunner().invoke(analyze_dataset.main, [
        "--data", str(simulated_dir / "cje_dataset.jsonl"), "--estimator", "direct,calibrated-ips",
        "--oracle-coverage", "0.1,0.5,1", "--truth", str(simulated_dir / "truth.json"), "--quiet",
        "--output", str(tmp_path / "s.json"), "--output-csv", str(tmp_path / "s.csv"),
        "--plot-dir", str(tmp_path / "plots"), "--report", str(tmp_path / "s.html"),
    ])
    assert result.exit_code == 0, result.output
    assert result.output.count("oracle-coverage sweep") == 1 and "Reason codes:" in result.output
    frame = pd.read_csv(tmp_path / "s.csv")
    assert len(frame) == 4 * 2 * 3 and sorted(frame.oracle_coverage.unique()) == [0.1, 0.5, 1.0]
    document = json.loads((tmp_path / "s.json").read_text())
    validate(document)
    assert document["document"] == "coverage-sweep" and document["coverages"] == [0.1, 0.5, 1.0]
    assert [run["settings"]["oracle_coverage"] for run in document["runs"]] == [0.1, 0.5, 1.0]
    assert (tmp_path / "plots" / "coverage_sweep.png").stat().st_size > 1000
    assert "Oracle-coverage sweep" in (tmp_path / "s.html").read_text()


@pytest.mark.parametrize("value", ["nan", "1.5", "-0.1", "0.1,abc", "0.1,0.1", "inf", ""])
def test_bad_coverages_are_usage_errors(simulated_dir, value):
    result = CliRunner().invoke(analyze_dataset.main, [
        "--data", str(simulated_dir / "cje_dataset.jsonl"), "--oracle-coverage", value, "--no-plots",
    ])
    assert result.exit_code == 2 and "--oracle-coverage" in result.output


def test_unknown_estimator_is_a_usage_error(simulated_dir):
    result = CliRunner().invoke(analyze_dataset.main, [
        "--data", str(simulated_dir / "cje_dataset.jsonl"), "--estimator", "magic",
    ])
    assert result.exit_code == 2 and "choose from" in result.output


def test_missing_file_is_a_clear_error(tmp_path):
    result = CliRunner().invoke(analyze_dataset.main, ["--data", str(tmp_path / "nope.jsonl")])
    assert result.exit_code == 2 and "cannot be read" in result.output



def test_calibration_covariates_on_the_command_line(simulated_dir, tmp_path):
    result = CliRunner().invoke(analyze_dataset.main, [
        "--data", str(simulated_dir / "cje_dataset.jsonl"), "--estimator", "direct", "--oracle-coverage", "0.3",
        "--calibration-covariates", "response_length", "--no-plots", "--output", str(tmp_path / "r.json"),
    ])
    assert result.exit_code == 0, result.output
    assert "chosen automatically by out-of-fold RMSE" in result.output
    validate(json.loads((tmp_path / "r.json").read_text()))
    bad = CliRunner().invoke(analyze_dataset.main, [
        "--data", str(simulated_dir / "cje_dataset.jsonl"), "--calibration", "two-stage", "--no-plots",
    ])
    assert bad.exit_code == 2 and "--calibration-covariates" in bad.output


def test_results_piped_to_stdout_carry_the_json_alone(simulated_dir):
    """`--output /dev/stdout | jq`: the words go to stderr, stdout is one JSON document."""
    import subprocess
    import sys
    from pathlib import Path

    script = Path(analyze_dataset.__file__)
    completed = subprocess.run(
        [sys.executable, str(script), "--data", str(simulated_dir / "cje_dataset.jsonl"), "--estimator", "direct",
         "--oracle-coverage", "0.3", "--no-plots", "--output", "/dev/stdout"],
        capture_output=True, text=True, timeout=120, check=False)
    assert completed.returncode == 0, completed.stderr
    document = json.loads(completed.stdout)
    assert document["schema_version"] and "direct" in completed.stderr


def test_a_sweep_prints_the_paired_differences_at_each_coverage(simulated_dir):
    result = CliRunner().invoke(analyze_dataset.main, [
        "--data", str(simulated_dir / "cje_dataset.jsonl"), "--estimator", "direct",
        "--oracle-coverage", "0.25,1", "--no-plots",
    ])
    assert result.exit_code == 0, result.output
    table = result.output.split("paired differences (direct) at each coverage")[1].split("\n\n")[0]
    header, _, *rows = table.strip().splitlines()[1:]
    assert "coverage 0.25" in header and "coverage 1" in header
    pairs = [row.split("  ")[0] for row in rows if " - " in row.split("  ")[0]]
    assert "premium - logger" in pairs or "logger - premium" in pairs
    # one row per pair, both coverages filled in
    assert len(pairs) == len(set(pairs)) and all(row.count("[") == 2 for row in rows if " - " in row.split("  ")[0])
