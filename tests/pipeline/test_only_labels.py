"""The oracle step labels exactly the responses a suggestions file asks for."""

from __future__ import annotations

import json

from click.testing import CliRunner

import generate_arena_data
from cje.pipeline.records import DataPaths
from pipeline_steps import add_scores_with_resume, build_dataset

from .helpers import env_for, read_jsonl, small_prompts_file

FAST = ("--retry-base-delay", "0.001", "--quiet")


def test_only_labels_the_suggested_responses_and_they_reach_the_dataset(clean_sim, tmp_path):
    env, paths = env_for(clean_sim), DataPaths(tmp_path / "data")
    runner = CliRunner()
    made = runner.invoke(generate_arena_data.main, [
        "--n-samples", "6", "--prompts-file", str(small_prompts_file(tmp_path, 20)), "--data-dir", str(paths.root),
        "--oracle-fraction", "0", "--probe-fraction", "0", *FAST], env=env, catch_exceptions=False)
    assert made.exit_code == 0, made.output
    ids = [row["prompt_id"] for row in read_jsonl(paths.responses("base"))]
    suggestions = tmp_path / "label_suggestions.jsonl"
    wanted = [{"prompt_id": ids[0], "policy": "base", "kind": "logged"},
              {"prompt_id": ids[3], "policy": "base", "kind": "logged"},
              {"prompt_id": ids[1], "policy": "clone", "kind": "probe"}]
    suggestions.write_text("".join(json.dumps(w) + "\n" for w in wanted), encoding="utf-8")
    for policy in ("base", "clone"):
        scored = runner.invoke(add_scores_with_resume.main, [
            str(paths.responses(policy)), "--type", "oracle", "--only", str(suggestions), *FAST],
            env=env, catch_exceptions=False)
        assert scored.exit_code == 0, scored.output
    labelled = {p: {r["prompt_id"] for r in read_jsonl(paths.responses(p)) if r.get("oracle_label") is not None}
                for p in ("base", "clone")}
    assert labelled == {"base": {ids[0], ids[3]}, "clone": {ids[1]}}
    assert runner.invoke(build_dataset.main, ["--data-dir", str(paths.root)], env=env).exit_code == 0
    rows = read_jsonl(paths.dataset)
    assert {r["prompt_id"] for r in rows if r.get("oracle_label") is not None} == {ids[0], ids[3]}


def test_a_malformed_suggestions_file_is_a_clean_error(clean_sim, tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"prompt_id": 3}\n', encoding="utf-8")
    paths = DataPaths(tmp_path / "data")
    result = CliRunner().invoke(add_scores_with_resume.main, [
        str(paths.responses("base")), "--type", "oracle", "--only", str(bad), *FAST], env=env_for(clean_sim))
    assert result.exit_code == 2 and "bad.jsonl:1" in result.output
