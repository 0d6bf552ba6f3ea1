"""The scripts: each step runs alone, in order, to the same dataset the
one-command pipeline writes; --help, the lock, missing keys and contradictory
flags get clean messages."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

import generate_arena_data
import regenerate_failed_responses
from cje.io.lock import DirectoryLock
from cje.pipeline.records import DataPaths
from pipeline_steps import add_scores_with_resume, build_dataset, compute_logprobs, generate_responses, prepare_prompts

from .helpers import CHAT, env_for, read_jsonl, schedule, small_prompts_file

SCRIPTS = (generate_arena_data, regenerate_failed_responses, prepare_prompts, generate_responses,
           add_scores_with_resume, compute_logprobs, build_dataset)
FAST = ("--retry-base-delay", "0.001", "--quiet")


def invoke(script, args, env):
    return CliRunner().invoke(script.main, args, env=env, catch_exceptions=False)


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda s: s.__name__.rsplit(".", 1)[-1])
def test_every_script_explains_itself(script):
    result = invoke(script, ["--help"], {})
    assert result.exit_code == 0 and "Usage:" in result.output and len(result.output) > 500


def test_the_steps_run_alone_and_match_the_one_command_pipeline(clean_sim, tmp_path):
    env, source = env_for(clean_sim), str(small_prompts_file(tmp_path, 30))
    whole, steps = DataPaths(tmp_path / "whole"), DataPaths(tmp_path / "steps")
    result = invoke(generate_arena_data, ["--n-samples", "5", "--prompts-file", source, "--data-dir",
                                          str(whole.root), *FAST], env)
    assert result.exit_code == 0, result.output

    step_dir = ["--data-dir", str(steps.root)]
    assert invoke(prepare_prompts, ["--n-samples", "5", "--prompts-file", source, *step_dir, "--quiet"],
                  env).exit_code == 0
    assert invoke(generate_responses, [*step_dir, *FAST], env).exit_code == 0
    for policy in ("base", "clone", "parallel_universe_prompt", "unhelpful", "premium"):
        for kind in ("judge", "oracle"):
            scored = invoke(add_scores_with_resume, [str(steps.responses(policy)), "--type", kind,
                                                     "--save-every", "2", *FAST], env)
            assert scored.exit_code == 0, scored.output
    assert all(row["judge_score"] is not None for row in read_jsonl(steps.responses("clone")))
    assert invoke(compute_logprobs, [*step_dir, *FAST], env).exit_code == 0
    built = invoke(build_dataset, step_dir, env)
    assert built.exit_code == 0 and "5 rows" in built.output
    assert steps.dataset.read_bytes() == whole.dataset.read_bytes()
    assert steps.responses("unhelpful").read_bytes() == whole.responses("unhelpful").read_bytes()


def test_a_second_run_on_the_same_data_dir_is_refused(clean_sim, tmp_path):
    with DirectoryLock(tmp_path / "data"):
        result = invoke(generate_arena_data, ["--n-samples", "3", "--prompts-file",
                                              str(small_prompts_file(tmp_path, 5)), "--data-dir",
                                              str(tmp_path / "data")], env_for(clean_sim))
    assert result.exit_code == 2 and "is held by pid" in result.output


def test_a_missing_key_is_named_and_no_secret_is_printed(clean_sim, tmp_path):
    env = {"CJE_BASE_URL": clean_sim.base_url, "CJE_API_KEY": None, "FIREWORKS_API_KEY": None,
           "OPENAI_API_KEY": "sk-secret-value-123"}
    result = invoke(generate_arena_data, ["--n-samples", "2", "--prompts-file", str(small_prompts_file(tmp_path, 5)),
                                          "--data-dir", str(tmp_path / "data"), "--quiet"], env)
    assert result.exit_code == 2 and "FIREWORKS_API_KEY" in result.output
    assert "sk-secret-value-123" not in result.output


def test_contradictory_and_malformed_arguments_are_refused(tmp_path):
    both = invoke(generate_arena_data, ["--n-samples", "2", "--force", "--skip-existing"], {})
    assert both.exit_code == 2 and "contradict" in both.output
    elsewhere = tmp_path / "notes.jsonl"
    elsewhere.write_text("")
    outside = invoke(add_scores_with_resume, [str(elsewhere), "--type", "judge"], {})
    assert outside.exit_code == 2 and "expected a pipeline responses file" in outside.output


def test_status_blocks_show_totals_done_and_to_do(clean_sim, tmp_path):
    args = ["--n-samples", "3", "--prompts-file", str(small_prompts_file(tmp_path, 5)), "--data-dir",
            str(tmp_path / "data"), "--retry-base-delay", "0.001"]
    first = invoke(generate_arena_data, args, env_for(clean_sim))
    assert "== responses: 5 policies x 3 prompts" in first.output
    assert "to do               15  (missing)" in first.output and "to redo              0" in first.output
    again = invoke(generate_arena_data, args, env_for(clean_sim))
    assert "already done        15  (resumed)" in again.output
    quiet = invoke(generate_arena_data, [*args, "--quiet"], env_for(clean_sim))
    assert "==" not in quiet.output and "wrote" in quiet.output


def test_the_summary_lists_failures_by_cause_retries_by_kind_and_tokens(clean_sim, tmp_path):
    schedule(clean_sim, [{"kind": "503", "path": CHAT, "count": 2}, {"kind": "400", "path": CHAT, "count": 2}])
    result = invoke(generate_arena_data, ["--n-samples", "3", "--prompts-file", str(small_prompts_file(tmp_path, 5)),
                                          "--data-dir", str(tmp_path / "data"), "--concurrency", "1", *FAST],
                    env_for(clean_sim))
    assert result.exit_code == 0, result.output
    assert "failures in responses:" in result.output
    assert "HTTP 400 invalid_request_error: Simulated error 400." in result.output  # the provider's message
    assert "retries: 5xx server error 2" in result.output
    assert "tokens used (as the provider reported them):" in result.output and "estimated cost: $0.00" in result.output
