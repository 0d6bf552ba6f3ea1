"""Resuming judged by content: a finished run makes no request again, a changed
response text invalidates exactly its scores and log-probs, --force redoes
everything and --skip-existing keeps rows made with other settings."""

from __future__ import annotations

import pytest

import policy_config as pc
from cje.io.store import JsonlStore
from cje.pipeline.dataset import build_dataset
from cje.pipeline.errors import StaleDataError
from cje.pipeline.prompts import PromptSpec, read_prompts
from cje.pipeline.records import DataPaths, Expected, Reason, reason_to_redo
from cje.pipeline.run import run_pipeline
from cje.pipeline.runner import SilentReporter
from cje.pipeline.settings import ResumeMode

from .helpers import CHAT, COMPLETIONS, ROLES, env_for, fast_api, read_jsonl, run_settings, small_prompts_file, stats

N = 6
EXPECTED = Expected(content={"prompt_hash": "p", "response_hash": "r"}, settings_hash="s")
OK_ROW = {"prompt_hash": "p", "response_hash": "r", "settings_hash": "s", "score": 0.5}


@pytest.mark.parametrize(("row", "mode", "reason"), [
    (None, ResumeMode.RESUME, Reason.MISSING),
    ({**OK_ROW, "error": "HTTP 500", "error_type": "retryable"}, ResumeMode.RESUME, Reason.FAILED),
    ({**OK_ROW, "response_hash": "old"}, ResumeMode.RESUME, Reason.STALE),
    ({**OK_ROW, "prompt_hash": "old"}, ResumeMode.SKIP_EXISTING, Reason.STALE),
    ({**OK_ROW, "settings_hash": "old"}, ResumeMode.RESUME, Reason.CHANGED),
    ({**OK_ROW, "settings_hash": "old"}, ResumeMode.SKIP_EXISTING, None),
    (OK_ROW, ResumeMode.RESUME, None),
    (OK_ROW, ResumeMode.FORCE, Reason.FORCED),
])
def test_reason_to_redo(row, mode, reason):
    assert reason_to_redo(row, EXPECTED, mode) is reason


def run(sim, tmp_path, **changes):
    spec = PromptSpec(n_samples=N, seed=5, prompts_file=small_prompts_file(tmp_path, 40))
    before = stats(sim)
    report = run_pipeline(spec, ROLES, run_settings(**changes), api=fast_api(), paths=DataPaths(tmp_path / "data"),
                          reporter=SilentReporter(), env=env_for(sim))
    after = stats(sim)
    return report, {key: after["by_model"].get(key, 0) - before["by_model"].get(key, 0)
                    for key in after["by_model"]} | {
        path: after["by_path"].get(path, 0) - before["by_path"].get(path, 0) for path in (CHAT, COMPLETIONS)}


def snapshot(data_dir):
    return {p.relative_to(data_dir): p.read_bytes() for p in sorted(data_dir.rglob("*.jsonl"))}


def test_a_finished_run_makes_no_request_and_rewrites_nothing(clean_sim, tmp_path):
    report, first = run(clean_sim, tmp_path)
    # every base response under every policy, every target's own response under itself and base
    assert first[COMPLETIONS] == N * len(pc.POLICIES) + N * 2 * (len(pc.POLICIES) - 1)
    assert report.dataset.rows == N
    files = snapshot(tmp_path / "data")
    report, second = run(clean_sim, tmp_path)
    assert second[CHAT] == 0 and second[COMPLETIONS] == 0
    assert all(step.status.n_todo == 0 and step.status.done == step.status.total for step in report.steps)
    assert snapshot(tmp_path / "data") == files


def replace_response(paths, prompt_id, new_text):
    with JsonlStore(paths.generations("base"), key="prompt_id") as log:
        log.append([{**log.rows[prompt_id], "response": new_text}])


def test_a_changed_response_invalidates_exactly_its_scores_and_logprobs(clean_sim, tmp_path):
    run(clean_sim, tmp_path)
    paths = DataPaths(tmp_path / "data")
    prompt = read_prompts(paths)[0]
    old = {r["prompt_id"]: r for r in read_jsonl(paths.dataset)}[prompt.prompt_id]
    world = clean_sim.app.view.prompt(prompt.prompt)
    other = next(i for i, text in enumerate(world.texts) if text != old["response"])
    replace_response(paths, prompt.prompt_id, world.texts[other])

    with pytest.raises(StaleDataError) as caught:
        build_dataset(paths, read_prompts(paths), ROLES, run_settings())
    message = str(caught.value)
    assert "base_judge.jsonl: 1 rows" in message and "clone_logprobs.jsonl: 1 rows" in message
    assert prompt.prompt_id in message and "generate_arena_data.py" in message

    report, requests = run(clean_sim, tmp_path)
    # The edited text is kept as the response; only what was computed from it is redone.
    assert requests.get(pc.POLICIES["base"].model, 0) == len(pc.POLICIES) - 1  # 4 log-probs on that model
    assert requests[pc.JUDGE.model] == 1 and requests[pc.ORACLE.model] == 1
    assert requests[COMPLETIONS] == len(pc.POLICIES)
    new = {r["prompt_id"]: r for r in read_jsonl(paths.dataset)}[prompt.prompt_id]
    assert new["response"] == world.texts[other]
    assert new["judge_score"] == pytest.approx(float(world.candidates.judge_score[0, other]))
    exact = float(world.log_policy("unhelpful", 0.7)[other])
    assert new["target_policy_logprobs"]["unhelpful"] == pytest.approx(exact, abs=1e-9)


def test_force_redoes_everything(clean_sim, tmp_path):
    _, first = run(clean_sim, tmp_path)
    report, forced = run(clean_sim, tmp_path, mode=ResumeMode.FORCE)
    assert forced == first
    assert all(step.status.todo == {"forced": step.status.total} for step in report.steps)


def test_skip_existing_keeps_rows_made_with_other_settings(clean_sim, tmp_path):
    run(clean_sim, tmp_path, max_tokens=256)
    policy_models = {role.model for role in pc.POLICIES.values()}
    _, kept = run(clean_sim, tmp_path, max_tokens=20, mode=ResumeMode.SKIP_EXISTING)
    assert kept[CHAT] == 0 and kept[COMPLETIONS] == 0
    report, redone = run(clean_sim, tmp_path, max_tokens=20)
    generation = report.steps[0]
    assert generation.status.todo == {"settings changed": N * len(pc.POLICIES)}
    assert sum(redone.get(model, 0) for model in policy_models) >= N * len(pc.POLICIES)
    # Responses cut at 20 tokens are new texts: exactly their judge scores are recomputed.
    views = [read_jsonl(DataPaths(tmp_path / "data").responses(policy)) for policy in pc.POLICIES]
    assert all(row["max_tokens"] == 20 for rows in views for row in rows)
    cut = sum(row["finish_reason"] == "length" for rows in views for row in rows)
    assert cut > 0 and report.steps[1].status.todo == {"stale": cut} and redone[pc.JUDGE.model] == cut
