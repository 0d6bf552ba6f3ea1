"""The decision benchmarks' commands on tiny grids: they run, resume and write their tables.

The paired-comparison benchmark runs in the fast tier; the others simulate
worlds whose exact truth takes seconds to compute, and run in the slow tier.
"""

import pytest
from click.testing import CliRunner

from benchmarks import decisions_active, decisions_covariates, decisions_paired, decisions_planner


def _run(module, arguments, output_dir):
    result = CliRunner().invoke(module.main, [*arguments, "--output-dir", str(output_dir), "--quiet"],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return (output_dir / f"decisions-{module.__name__.rsplit('_', 1)[-1]}.md").read_text()


def test_paired_benchmark_runs_and_resumes(tmp_path):
    arguments = ["--seeds", "2", "--sizes", "300", "--oracle-coverage", "0.25", "--bootstrap-sizes", "300",
                 "--bootstrap-seeds", "1", "--n-bootstrap", "100"]
    table = _run(decisions_paired, arguments, tmp_path)
    assert "Paired 95% CI coverage" in table and "direct+bootstrap" in table and "wrong sign" in table
    log = tmp_path / "paired.jsonl"
    lines = log.read_text().count("\n")
    assert _run(decisions_paired, arguments, tmp_path) == table  # resumed: nothing recomputed
    assert log.read_text().count("\n") == lines


def test_cells_are_recomputed_when_the_library_changes(tmp_path, monkeypatch):
    from benchmarks.lib import decisions

    calls = []

    def cell_rows(cell):
        calls.append(cell["seed"])
        return [{"seed": cell["seed"]}]

    log = tmp_path / "cells.jsonl"
    cells = [{"seed": 0}, {"seed": 1}]
    assert decisions.run_cells(cell_rows, cells, log, jobs=1, quiet=True) == [{"seed": 0}, {"seed": 1}]
    decisions.run_cells(cell_rows, cells, log, jobs=1, quiet=True)
    assert calls == [0, 1]  # same code: resumed from the log
    monkeypatch.setattr(decisions, "library_digest", lambda parts: "other code")
    decisions.run_cells(cell_rows, cells, log, jobs=1, quiet=True)
    assert calls == [0, 1, 0, 1]


@pytest.mark.slow
def test_planner_benchmark(tmp_path):
    assert "planned vs realised" in _run(decisions_planner, ["--pilots", "1", "--runs", "2"], tmp_path)


@pytest.mark.slow
def test_covariate_benchmark(tmp_path):
    table = _run(decisions_covariates, ["--seeds", "1", "--sizes", "400", "--oracle-coverage", "0.25"], tmp_path)
    assert "length-biased world" in table and "default world" in table


@pytest.mark.slow
def test_active_benchmark(tmp_path):
    table = _run(decisions_active, ["--seeds", "1", "--budgets", "30", "--probe-seeds", "1"], tmp_path)
    assert "Logged labels" in table and "Probe labels" in table


def test_the_allocation_ceiling_is_zero_where_targets_look_like_the_logger_and_large_where_they_do_not():
    import numpy as np

    logger = np.array([0.25, 0.25, 0.25, 0.25])
    assert decisions_active.ceiling_from_shares(logger, np.array([logger, logger])) == pytest.approx(0.0)
    # one target all on the logger's rarest level, one spread like the logger
    rare = np.array([0.01, 0.33, 0.33, 0.33])
    targets = np.array([[1.0, 0.0, 0.0, 0.0], rare])
    assert decisions_active.ceiling_from_shares(rare, targets) > 0.5
    # by hand for a single target: random variance sum(p_t^2 / p_0), best (sum p_t)^2 = 1
    single = np.array([[0.5, 0.5, 0.0, 0.0]])
    assert decisions_active.ceiling_from_shares(logger, single) == pytest.approx(1 - np.sqrt(1 / 2.0))
