"""--dry-run: what a run would do, counted exactly, from the files alone - no request,
no network, nothing written."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys

import pytest
from click.testing import CliRunner

import generate_arena_data
import regenerate_failed_responses
from pipeline_steps import add_scores_with_resume, build_dataset, compute_logprobs, generate_responses, prepare_prompts

from .helpers import CHAT, REPO, env_for, schedule, small_prompts_file, stats

PROMPTS = str(REPO / "cje" / "pipeline" / "default_prompts.jsonl")
STEP_SCRIPTS = {
    "prepare_prompts": (prepare_prompts, ["--n-samples", "6"]),
    "generate_responses": (generate_responses, ["--policies", "clone", "unhelpful"]),
    "compute_logprobs": (compute_logprobs, []),
    "build_dataset": (build_dataset, []),
    "regenerate": (regenerate_failed_responses, ["--policies", "clone", "unhelpful"]),
}


def snapshot(directory) -> dict[str, tuple[str, float]]:
    return {str(p.relative_to(directory)): (hashlib.sha256(p.read_bytes()).hexdigest(), p.stat().st_mtime)
            for p in sorted(directory.rglob("*")) if p.is_file()}


def status_block(output: str, step: str) -> list[str]:
    lines = output.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(f"== {step}:"))
    return lines[start:start + 5]


@pytest.fixture()
def half_done(clean_sim, tmp_path):
    """A data directory after a run in which some requests failed for good."""
    source = small_prompts_file(tmp_path, 10)
    data = tmp_path / "data"
    schedule(clean_sim, [{"kind": "400", "path": CHAT, "count": 3}])
    result = CliRunner().invoke(generate_arena_data.main, [
        "--n-samples", "6", "--prompts-file", str(source), "--data-dir", str(data), "--retry-base-delay", "0.001",
        "--concurrency", "1", "--quiet"], env=env_for(clean_sim))
    assert result.exit_code == 0, result.output
    return data, source


def test_a_whole_run_plan_counts_what_the_run_then_does(clean_sim, half_done):
    data, source = half_done
    args = ["--n-samples", "8", "--prompts-file", str(source), "--data-dir", str(data), "--retry-base-delay", "0.001"]
    before, requests = snapshot(data), stats(clean_sim)["requests"]
    plan = CliRunner().invoke(generate_arena_data.main, [*args, "--dry-run"], env=env_for(clean_sim))
    assert plan.exit_code == 0, plan.output
    assert snapshot(data) == before and stats(clean_sim)["requests"] == requests  # nothing written or sent
    assert "dry run: nothing is sent and nothing is written." in plan.output
    assert "to redo              3  (failed 3)" in plan.output  # the three 400s
    assert "to do               10  (missing)" in plan.output  # two new prompts x five policies
    assert "$0.00" in plan.output and "at http://127.0.0.1" in plan.output  # a local endpoint is free
    run = CliRunner().invoke(generate_arena_data.main, args, env=env_for(clean_sim))
    assert run.exit_code == 0
    assert status_block(run.output, "responses") == status_block(plan.output, "responses")


@pytest.mark.parametrize("step", STEP_SCRIPTS)
def test_each_step_plans_without_touching_anything(clean_sim, half_done, step):
    data, _ = half_done
    script, extra = STEP_SCRIPTS[step]
    args = [*extra, "--data-dir", str(data), "--dry-run"]
    if step == "prepare_prompts":
        args += ["--prompts-file", str(data.parent / "prompts_source.jsonl")]
    before, requests = snapshot(data), stats(clean_sim)["requests"]
    result = CliRunner().invoke(script.main, args, env=env_for(clean_sim))
    assert result.exit_code == 0, result.output
    assert snapshot(data) == before and stats(clean_sim)["requests"] == requests
    assert "dry run" in result.output


def test_scoring_plans_the_oracle_slice(clean_sim, half_done):
    data, _ = half_done
    before = snapshot(data)
    result = CliRunner().invoke(add_scores_with_resume.main, [
        str(data / "responses" / "clone_responses.jsonl"), "--type", "oracle", "--probe-fraction", "1.0",
        "--dry-run"], env=env_for(clean_sim))
    assert result.exit_code == 0 and snapshot(data) == before
    assert "== oracle" in result.output and "requests to gpt-5" in result.output


def test_the_real_providers_plan_works_with_no_network_at_all(tmp_path):
    if os.geteuid() != 0 or shutil.which("unshare") is None:
        pytest.skip("needs root and unshare to cut the network")
    env = {k: v for k, v in os.environ.items() if not k.startswith("CJE_")}
    done = subprocess.run(["unshare", "-n", sys.executable, "generate_arena_data.py", "--dry-run", "--prompts-file",
                           PROMPTS, "--n-samples", "5000", "--data-dir", str(tmp_path / "data")],
                          cwd=REPO, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "requests to accounts/fireworks/models/llama-v3p3-70b-instruct at https://api.fireworks.ai" in out
    assert "requests to gpt-5 at https://api.openai.com/v1" in out and "tokens in" in out
    assert "estimated cost: $" in out and "no price" not in out
    assert not (tmp_path / "data").exists()


def test_the_hub_is_not_contacted_in_a_dry_run(tmp_path):
    if os.geteuid() != 0 or shutil.which("unshare") is None:
        pytest.skip("needs root and unshare to cut the network")
    done = subprocess.run(["unshare", "-n", sys.executable, "generate_arena_data.py", "--dry-run", "--n-samples",
                           "200", "--data-dir", str(tmp_path / "data")],
                          cwd=REPO, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "not contacted in a dry run" in done.stdout and "1000 requests to gpt-4.1-nano" in done.stdout
