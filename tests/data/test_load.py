import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

import analyze_dataset
from cje.data.load import load_dataset
from cje.errors import DataValidationError, ScaleMismatchError
from tests.conftest import REPO_ROOT


def _row(i, **changes):
    row = {
        "prompt_id": f"p{i}", "prompt": f"question {i}", "response": f"answer {i}",
        "base_policy_logprob": -10.0 - i % 7,
        "target_policy_logprobs": {"a": -11.0 - i % 5, "b": -9.5 - i % 3},
        "judge_score": round(0.05 * (i % 21), 2), "oracle_label": round(0.05 * (i % 19), 2),
    }
    row.update(changes)
    return row


def write_dataset(directory: Path, rows, fresh=None) -> Path:
    path = directory / "cje_dataset.jsonl"
    path.write_text("".join(r if isinstance(r, str) else json.dumps(r) + "\n" for r in rows))
    for policy, fresh_rows in (fresh or {}).items():
        (directory / "responses").mkdir(exist_ok=True)
        (directory / "responses" / f"{policy}_responses.jsonl").write_text(
            "".join(json.dumps(r) + "\n" for r in fresh_rows))
    return path


def good_rows(n=40):
    return [_row(i) for i in range(n)]


BAD_CASES = [
    ("nan logprob", 3, '{"base_policy_logprob": NaN}', "base_policy_logprob: log-probability is NaN"),
    ("infinite logprob", 5, '{"target_policy_logprobs": {"a": -Infinity, "b": -1}}',
     "target_policy_logprobs.a: log-probability is infinite"),
    ("positive logprob", 7, '{"target_policy_logprobs": {"a": 0.5, "b": -1}}',
     "target_policy_logprobs.a: log-probability 0.5 is positive"),
    ("judge outside scale", 9, '{"judge_score": 1.7}', "judge_score: 1.7 is outside the 0-1 scale"),
    ("label outside scale", 9, '{"oracle_label": -0.2}', "oracle_label: -0.2 is outside the 0-1 scale"),
    ("duplicate id", 11, '{"prompt_id": "p1"}', "prompt_id: duplicate of line 2 (p1)"),
    ("missing judge", 13, '{"judge_score": "DROP"}', "judge_score: missing"),
    ("judge not a number", 13, '{"judge_score": "high"}', 'judge_score: is not a number ("high")'),
    ("missing logprobs", 15, '{"target_policy_logprobs": "DROP"}', "target_policy_logprobs: missing"),
    ("not json", 17, "RAW{not json", "line: not valid JSON"),
]


def _mutated(line_index, change):
    rows = good_rows()
    if change.startswith("RAW"):
        rows[line_index] = change[3:] + "\n"
        return rows
    patch = json.loads(change)
    row = dict(rows[line_index])
    for key, value in patch.items():
        if value == "DROP":
            row.pop(key)
        else:
            row[key] = value
    rows[line_index] = json.dumps(row) + "\n"
    return rows


@pytest.mark.parametrize("name,line,change,message", BAD_CASES, ids=[c[0] for c in BAD_CASES])
def test_bad_input_is_reported_with_file_line_field_and_exit_2(tmp_path, name, line, change, message):
    path = write_dataset(tmp_path, _mutated(line - 1, change))
    result = CliRunner().invoke(analyze_dataset.main, ["--data", str(path), "--no-plots"])
    assert result.exit_code == 2
    assert f"{path}:{line}: {message}" in result.output
    assert "Traceback" not in result.output


def test_bad_input_from_a_real_process_has_no_traceback(tmp_path):
    path = write_dataset(tmp_path, _mutated(2, '{"base_policy_logprob": 3.0}'))
    completed = subprocess.run(
        [sys.executable, str(REPO_ROOT / "analyze_dataset.py"), "--data", str(path), "--no-plots"],
        capture_output=True, text=True, cwd=tmp_path,
    )
    assert completed.returncode == 2
    assert f"{path}:3: base_policy_logprob: log-probability 3.0 is positive" in completed.stderr
    assert "Traceback" not in completed.stderr + completed.stdout


def test_every_problem_is_listed_not_just_the_first(tmp_path):
    rows = good_rows()
    rows[1] = dict(rows[1], judge_score=3)  # 0-1 scale is detected from the others? no: 0-10
    rows[4] = dict(rows[4], base_policy_logprob=1.0)
    rows[6] = dict(rows[6], target_policy_logprobs={"a": float("nan"), "b": -1})
    with pytest.raises(DataValidationError) as caught:
        load_dataset(write_dataset(tmp_path, rows), judge_scale="0-1")
    fields = [p.field for p in caught.value.problems]
    assert fields == ["base_policy_logprob", "target_policy_logprobs.a", "judge_score"]


def test_null_logprob_drops_the_row_for_that_policy_only(tmp_path):
    rows = good_rows()
    rows[0] = dict(rows[0], target_policy_logprobs={"a": None, "b": -3.0})
    rows[1] = dict(rows[1], target_policy_logprobs={"a": -2.0})  # b absent: also null
    dataset = load_dataset(write_dataset(tmp_path, rows))
    assert np.isnan(dataset.logged.target_logprob["a"][0])
    assert np.isfinite(dataset.logged.target_logprob["b"][0])
    assert np.isnan(dataset.logged.target_logprob["b"][1])


def test_fields_inside_metadata_are_accepted(tmp_path):
    rows = []
    for i in range(30):
        row = _row(i)
        meta = {k: row.pop(k) for k in ("prompt_id", "judge_score", "oracle_label")}
        rows.append(dict(row, metadata=meta))
    dataset = load_dataset(write_dataset(tmp_path, rows))
    assert dataset.logged.prompt_id[3] == "p3"
    assert dataset.logged.judge_score[3] == pytest.approx(0.15)


def test_scales_are_detected_and_normalised(tmp_path):
    rows = [dict(_row(i), judge_score=5 * (i % 21), oracle_label=i % 11) for i in range(40)]
    dataset = load_dataset(write_dataset(tmp_path, rows))
    assert (dataset.judge_scale, dataset.oracle_scale) == ("0-100", "0-10")
    assert dataset.logged.judge_score.max() == pytest.approx(1.0)
    assert dataset.logged.oracle_label.max() == pytest.approx(1.0)


def test_an_ambiguous_scale_must_be_declared(tmp_path):
    """Labels 1..10 could be 1-10 or 0-10 (0.1 apart on the unit scale): never guessed."""
    rows = [dict(_row(i), oracle_label=1 + i % 10) for i in range(40)]
    path = write_dataset(tmp_path, rows)
    with pytest.raises(ScaleMismatchError, match="--oracle-scale"):
        load_dataset(path)
    declared = load_dataset(path, oracle_scale="1-10")
    assert declared.oracle_scale == "1-10" and declared.logged.oracle_label.min() == pytest.approx(0.0)
    as_zero_to_ten = load_dataset(path, oracle_scale="0-10")
    assert as_zero_to_ten.logged.oracle_label.min() == pytest.approx(0.1)


@pytest.mark.parametrize("value", [-1e6, -1e308])
def test_absurd_finite_logprobs_are_refused(tmp_path, value):
    rows = good_rows()
    rows[2] = dict(rows[2], target_policy_logprobs={"a": value, "b": -9.0})
    with pytest.raises(DataValidationError, match="beyond any real response"):
        load_dataset(write_dataset(tmp_path, rows))


def test_mixed_scales_between_files_are_refused(tmp_path):
    fresh = {"a": [{"prompt_id": f"p{i}", "judge_score": 60 + i} for i in range(20)]}
    with pytest.raises(ScaleMismatchError, match="--judge-scores-scale|different scales"):
        load_dataset(write_dataset(tmp_path, good_rows(), fresh))


def test_failed_fresh_draws_are_skipped_and_counted(tmp_path):
    fresh = {"a": [{"prompt_id": f"p{i}", "judge_score": 0.5} for i in range(10)]
             + [{"prompt_id": "p10", "response": None, "error": "timeout", "judge_score": None}]}
    dataset = load_dataset(write_dataset(tmp_path, good_rows(), fresh))
    assert dataset.fresh["a"].n == 10
    assert "1 failed or unscored" in dataset.notes[0]


def test_real_arena_sample_loads_as_it_is(arena_sample):
    dataset = load_dataset(arena_sample / "logged_data.jsonl", arena_sample / "fresh_draws")
    assert dataset.logged.n == 1000
    assert set(dataset.logged.policies) == {"clone", "parallel_universe_prompt", "unhelpful"}
    assert int(dataset.logged.label_available.sum()) == 480
    assert {p: f.n for p, f in dataset.fresh.items()} == dict.fromkeys(dataset.logged.policies, 1000)


def _fresh_rows(n=20):
    return [{"prompt_id": f"p{i}", "response": f"fresh answer {i}", "judge_score": 0.5} for i in range(n)]


def test_probe_labels_attach_to_the_same_response(tmp_path):
    path = write_dataset(tmp_path, good_rows(), {"a": _fresh_rows()})
    probes = tmp_path / "probes"
    probes.mkdir()
    (probes / "a_probe.jsonl").write_text("".join(
        json.dumps({"prompt_id": f"p{i}", "response": f"fresh answer {i}", "oracle_label": 0.25}) + "\n"
        for i in range(12)))
    dataset = load_dataset(path, probe_dir=probes)
    assert int(np.isfinite(dataset.fresh["a"].oracle_label).sum()) == 12
    assert any("12 oracle labels attached" in note for note in dataset.notes)


def test_probe_label_of_another_text_is_refused(tmp_path):
    path = write_dataset(tmp_path, good_rows(), {"a": _fresh_rows()})
    probes = tmp_path / "probes"
    probes.mkdir()
    probe = probes / "a_probe.jsonl"
    probe.write_text(json.dumps({"prompt_id": "p3", "response": "edited", "oracle_label": 0.2}) + "\n"
                     + json.dumps({"prompt_id": "zz", "response": "x", "oracle_label": 0.2}) + "\n")
    with pytest.raises(DataValidationError) as caught:
        load_dataset(path, probe_dir=probes)
    messages = [str(p) for p in caught.value.problems]
    assert messages == [f"{probe}:1: response: differs from the fresh draw's text; its label describes "
                        "another response",
                        f"{probe}:2: prompt_id: zz (draw 0) is not among the policy's fresh draws"]
