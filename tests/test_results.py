"""The Python API: ``from cje import analyze`` on files, rows and DataFrames."""

import math
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

import cje
from cje.errors import CJEError, EstimationError
from cje.report.table import COLUMNS
from cje.world import simulate_dataset, write_simulated_dataset

from .conftest import REPO_ROOT


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    directory = tmp_path_factory.mktemp("api")
    write_simulated_dataset(simulate_dataset(400, seed=5, fresh_oracle_fraction=0.1), directory)
    return directory


@pytest.fixture(scope="module")
def result(files):
    return cje.analyze(files / "cje_dataset.jsonl", estimators="direct,calibrated-ips,stacked-dr",
                       oracle_coverage=0.25, truth=files / "truth.json")


def test_estimates_intervals_statuses_and_the_best_policy(result):
    estimate = result.estimate("premium", "stacked-dr")
    low, high = estimate.ci(0.9)
    assert low < estimate.value < high
    wider = result.ci(0.99)[("premium", "stacked-dr")]
    assert wider.low <= low and wider.high >= high
    assert set(result.ci()) == {(p, e) for p in result.policies for e in result.estimators}
    assert str(result.status("unhelpful", "stacked-dr").level) == "refuse"
    best = result.best_policy()
    assert best.estimator == "stacked-dr" and (best.policy is None) == (str(best.code) != "separated")
    assert "unhelpful" in best.not_ranked
    with pytest.raises(ValueError, match="several estimators"):
        result.estimate("premium")
    with pytest.raises(ValueError, match="was not run"):
        result.estimate("premium", "tmle")


def test_diagnostics_summary_dataframe_and_json(result):
    assert result.diagnostics("unhelpful").transport is not None
    assert result.diagnostics("clone").weights.ess_raw > 0.9
    text = result.summary()
    assert "stacked-dr · api" in text and "Why estimates are flagged" in text and "Dataset" in text
    frame = result.to_dataframe()
    assert list(frame.columns) == list(COLUMNS) and len(frame) == 4 * 3
    assert frame.loc[frame.policy == "clone", "truth"].notna().all()
    document = result.to_json()
    assert document["inputs"]["kind"] == "files" and len(document["inputs"]["sha256"]) == 64


def test_rows_and_dataframes_give_the_same_numbers_as_files(files, result):
    logged = pd.read_json(files / "cje_dataset.jsonl", lines=True)
    fresh = {p: pd.read_json(files / "responses" / f"{p}_responses.jsonl", lines=True) for p in result.policies}
    from_frames = cje.analyze(logged, fresh_draws=fresh, estimators="direct,calibrated-ips,stacked-dr",
                              oracle_coverage=0.25)
    def rows(frame):  # plain dicts, missing values as None (a NaN in a row is an error, as in a file)
        return [{k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in r.items()}
                for r in frame.to_dict(orient="records")]

    from_rows = cje.analyze(rows(logged), fresh_draws={p: rows(f) for p, f in fresh.items()},
                            estimators="calibrated-ips", oracle_coverage=0.25)
    for policy in result.policies:
        expected = result.estimate(policy, "stacked-dr").value
        assert from_frames.estimate(policy, "stacked-dr").value == pytest.approx(expected, abs=1e-12)
        assert from_rows.estimate(policy).value == pytest.approx(result.estimate(policy, "calibrated-ips").value,
                                                                 abs=1e-12)
    assert from_frames.to_json()["inputs"]["kind"] == "memory"


def test_bad_rows_name_the_row_and_field():
    rows = [{"prompt_id": "a", "judge_score": 0.5, "base_policy_logprob": -1.0,
             "target_policy_logprobs": {"x": -1.0}}, {"prompt_id": "b", "judge_score": "high",
                                                      "base_policy_logprob": -1.0,
                                                      "target_policy_logprobs": {"x": -1.0}}]
    with pytest.raises(CJEError, match=r"<logged rows>:2: judge_score"):
        cje.analyze(rows)
    with pytest.raises(CJEError, match="sequence of mappings"):
        cje.analyze({"not": "rows"})


def test_a_failed_estimate_raises_with_its_reason(small_sim):
    result = cje.analyze(small_sim.dataset, estimators="direct", oracle_coverage=0.01)
    with pytest.raises(EstimationError, match="no rewards"):
        result.estimate("clone")


def test_a_sweep_shares_one_load_and_gives_one_long_table(files):
    result = cje.sweep(files / "cje_dataset.jsonl", [0.1, 0.5], estimators="direct")
    frame = result.to_dataframe()
    assert len(frame) == 4 * 2 and list(frame.oracle_coverage.unique()) == [0.1, 0.5]
    assert result.run(0.5).settings.oracle_coverage == 0.5
    assert np.all(np.diff(frame[frame.policy == "clone"].n_oracle_labels) > 0)


FRESH_INTERPRETER = """
import sys
import cje
assert "numpy" not in sys.modules, "import cje pulled numpy"
from cje import analyze
result = analyze({data!r}, fresh_draws={fresh!r}, estimators="dr-cpo", oracle_coverage=0.5)
print(result.best_policy().code, result.estimate("clone").value)
for heavy in ("pandas", "scipy.stats", "scipy.optimize", "matplotlib"):
    assert heavy not in sys.modules, heavy
"""


def test_import_cje_is_light_and_analyze_works_in_a_fresh_interpreter(files):
    code = FRESH_INTERPRETER.format(data=str(files / "cje_dataset.jsonl"), fresh=None)
    completed = subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True, text=True)
    assert completed.returncode == 0, completed.stderr


def test_a_fresh_interpreter_on_the_real_arena_sample(arena_sample):
    code = FRESH_INTERPRETER.format(data=str(arena_sample / "logged_data.jsonl"),
                                    fresh=str(arena_sample / "fresh_draws"))
    completed = subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True, text=True)
    assert completed.returncode == 0, completed.stderr


def test_the_real_arena_sample(arena_sample):
    result = cje.analyze(arena_sample / "logged_data.jsonl", fresh_draws=arena_sample / "fresh_draws",
                         probes=arena_sample / "probe_slice", estimators="direct,stacked-dr", oracle_coverage=0.5)
    assert result.status("unhelpful", "stacked-dr").refused
    assert {f.role for f in result.provenance.sources.files} == {"logged", "fresh-draws", "probe"}
    assert 0.6 < result.estimate("clone", "direct").value < 0.9
