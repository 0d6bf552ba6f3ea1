"""The coverage experiment's command: outputs, resuming, sources.

Small grids through ``--quick`` plus options, so the file runs in well under
a minute on two cores; the full ``--quick`` grid's two-minute budget is
checked by a test marked slow.
"""

import json
import math
import time

import pandas as pd
import pytest
from click.testing import CliRunner

from benchmarks.coverage_experiment import main
from cje.world import simulate_dataset, write_simulated_dataset

OUTPUTS = ("runs.jsonl", "runs.csv", "regimes.csv", "summary.md", "readme_tables.md",
           "plots/ci_coverage.png", "plots/rmse.png", "plots/ranking.png")
SMALL = ["--quick", "--seeds", "1", "--sizes", "200", "--oracle-coverage", "0.25,1.0",
         "--estimator", "direct,calibrated-ips,stacked-dr,direct+bootstrap", "--n-bootstrap", "50"]


def _run(arguments):
    result = CliRunner().invoke(main, arguments, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result


@pytest.fixture(scope="module")
def simulator_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("coverage")
    first = _run([*SMALL, "--source", "simulator", "--jobs", "2", "--output-dir", str(out)])
    return out / "simulator", first


def test_quick_grid_writes_every_output(simulator_run):
    directory, _ = simulator_run
    for name in OUTPUTS:
        assert (directory / name).stat().st_size > 0, name
    runs = pd.read_csv(directory / "runs.csv")
    # 1 size x 2 coverages x 1 seed x 4 variants, each with 4 target policies
    assert len(runs) == 2 * 4 * 4
    estimated = runs.dropna(subset=["estimate"])
    assert (estimated["error"] - (estimated["estimate"] - estimated["truth"])).abs().max() < 1e-12
    inside = (estimated["ci_low"] <= estimated["truth"]) & (estimated["truth"] <= estimated["ci_high"])
    assert (estimated["covered"].astype(bool) == inside).all()
    regimes = pd.read_csv(directory / "regimes.csv")
    assert set(regimes["variant"]) == {"direct", "calibrated-ips", "stacked-dr", "direct+bootstrap"}
    assert regimes["pairwise_acc"].between(0, 1).all()


def test_accuracy_pool_leaves_out_unhelpful_and_says_so(simulator_run):
    directory, _ = simulator_run
    text = (directory / "readme_tables.md").read_text()
    assert "accuracy metrics over clone, parallel_universe_prompt, premium" in text
    assert "ranking over clone, parallel_universe_prompt, premium, unhelpful" in text
    assert "Reported apart" in text and "| unhelpful | direct |" in text


def test_rerun_skips_finished_cells(simulator_run, tmp_path):
    directory, _ = simulator_run
    lines_before = (directory / "runs.jsonl").read_text().count("\n")
    started = time.perf_counter()
    again = _run([*SMALL, "--source", "simulator", "--output-dir", str(directory.parent)])
    assert "8 already done, 0 to run" in again.output
    assert (directory / "runs.jsonl").read_text().count("\n") == lines_before
    assert time.perf_counter() - started < 30
    # A larger grid reuses the finished cells and runs only the new ones.
    bigger = _run([*SMALL[:-4], "--estimator", "direct,calibrated-ips,stacked-dr,direct+bootstrap,tmle",
                   "--n-bootstrap", "50", "--source", "simulator", "--output-dir", str(directory.parent), "--quiet"])
    assert (directory / "runs.jsonl").read_text().count("\n") == lines_before + 2
    assert bigger.exit_code == 0


def test_own_dataset_with_a_noisy_truth_file(tmp_path):
    sim = simulate_dataset(240, seed=3)
    data = write_simulated_dataset(sim, tmp_path / "data")
    truth = {"values": dict(sim.truth), "n_oracle": {p: 40 for p in sim.truth}}
    (tmp_path / "truth.json").write_text(json.dumps(truth))
    result = _run(["--data", str(data), "--truth", str(tmp_path / "truth.json"), "--seeds", "1",
                   "--oracle-coverage", "0.5", "--estimator", "direct", "--output-dir", str(tmp_path / "out")])
    assert "noisy" in result.output
    runs = pd.read_csv(tmp_path / "out" / "custom" / "runs.csv")
    assert sorted(runs["n_prompts"].unique()) == [60, 120, 240]  # a quarter, half and all
    assert (runs["truth_n_oracle"] == 40).all()
    assert runs["noise_variance"].iloc[0] == pytest.approx(min(0.25, runs["truth"].iloc[0]
                                                                * (1 - runs["truth"].iloc[0])) / 40)


def test_arena_sample_uses_probe_slice_truth(arena_sample, tmp_path):
    _run(["--quick", "--source", "arena", "--seeds", "1", "--sizes", "1000", "--oracle-coverage", "0.5",
          "--estimator", "direct,calibrated-dr-cpo", "--output-dir", str(tmp_path), "--quiet"])
    runs = pd.read_csv(tmp_path / "arena" / "runs.csv")
    probe = pd.read_json(arena_sample / "probe_slice" / "clone_probe.jsonl", lines=True)
    clone = runs[runs["policy"] == "clone"]
    assert clone["truth"].iloc[0] == pytest.approx(probe["oracle_label"].mean())
    assert (clone["truth_n_oracle"] == len(probe)).all()
    assert "noisy" in (tmp_path / "arena" / "readme_tables.md").read_text()


def test_bad_estimator_name_is_a_usage_error(tmp_path):
    result = CliRunner().invoke(main, ["--estimator", "nope", "--output-dir", str(tmp_path)])
    assert result.exit_code == 2 and "choose from" in result.output


@pytest.mark.slow
def test_full_quick_grid_within_two_minutes(tmp_path):
    started = time.perf_counter()
    _run(["--quick", "--jobs", "2", "--output-dir", str(tmp_path), "--quiet"])
    assert time.perf_counter() - started < 120
    assert not math.isnan(pd.read_csv(tmp_path / "simulator" / "regimes.csv")["rmse"].mean())
