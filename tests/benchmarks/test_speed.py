"""The speed benchmark on tiny sizes, its exponent fit, and the README splicing."""

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from benchmarks.lib.readme import MarkerError, splice
from benchmarks.lib.speed_data import load_dataset_npz, save_dataset
from benchmarks.lib.speed_report import growth_exponent
from benchmarks.speed import main
from cje.world import simulate_dataset


def test_growth_exponent_recovers_a_power_law():
    n = np.array([1e3, 1e4, 1e5])
    assert growth_exponent(n, 2e-4 * n**1.1) == pytest.approx(1.1)
    assert np.isnan(growth_exponent(n[:1], [1.0]))


def test_dataset_round_trips_through_npz(tmp_path):
    dataset = simulate_dataset(50, seed=2).dataset
    save_dataset(dataset, tmp_path / "d.npz")
    loaded = load_dataset_npz(tmp_path / "d.npz")
    assert list(loaded.logged.prompt_id) == list(dataset.logged.prompt_id)
    assert set(loaded.fresh) == set(dataset.fresh)
    for policy, values in dataset.logged.target_logprob.items():
        np.testing.assert_array_equal(loaded.logged.target_logprob[policy], values)
    np.testing.assert_array_equal(loaded.fresh["clone"].judge_score, dataset.fresh["clone"].judge_score)


def test_speed_command_on_tiny_sizes(tmp_path):
    arguments = ["--sizes", "300,900", "--estimator", "direct,direct+bootstrap", "--repeats", "1",
                 "--n-bootstrap", "50", "--output-dir", str(tmp_path)]
    result = CliRunner().invoke(main, arguments, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    table = pd.read_csv(tmp_path / "speed.csv")
    assert len(table) == 4 and (table["status"] == "ok").all()
    assert (table["traced_peak_mib"] > 0).all() and (table["seconds"] > 0).all()
    assert (tmp_path / "speed.png").stat().st_size > 0
    assert "exempt (bootstrap)" in (tmp_path / "speed.md").read_text()
    again = CliRunner().invoke(main, arguments, catch_exceptions=False)
    assert "n=" not in again.output.split("**Wall time**")[0]  # nothing re-measured


def test_splice_replaces_only_between_markers():
    text = "intro\n<!-- BEGIN t -->\nold\n<!-- END t -->\noutro\n"
    assert splice(text, "t", "new\n") == "intro\n<!-- BEGIN t -->\nnew\n<!-- END t -->\noutro\n"
    with pytest.raises(MarkerError):
        splice(text, "missing", "x")
