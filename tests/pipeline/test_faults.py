"""Fault injection through the real pipeline steps, over HTTP to the simulator:
each fault costs exactly the attempts the retry policy promises, a 4xx gets
one attempt and a non_retryable row, and no prompt is left without a row."""

from __future__ import annotations

import time

import pytest

import policy_config as pc
from cje.pipeline.generation import generate_responses
from cje.pipeline.logprobs import compute_logprobs
from cje.pipeline.records import DataPaths, read_log
from cje.pipeline.runner import Connections, SilentReporter, StepContext
from cje.pipeline.scoring import add_scores
from cje.pipeline.settings import ResumeMode

from .helpers import CHAT, COMPLETIONS, ROLES, env_for, fast_api, prepared_prompts, run_settings, schedule, stats

N_PROMPTS = 3
MODELS = "/v1/models"
BASE = pc.POLICIES["base"]


def context(connections, data_dir, api, settings=None):
    return StepContext(ROLES, settings or run_settings(), api, connections, DataPaths(data_dir), SilentReporter())


def run_generation(sim, data_dir, api, settings=None):
    prompts = prepared_prompts(data_dir, N_PROMPTS)
    with Connections(api, env=env_for(sim)) as connections:
        result = generate_responses(prompts, ("base",), context(connections, data_dir, api, settings))
    return prompts, result


def rows_of(data_dir, prompts):
    log = read_log(DataPaths(data_dir).generations("base"))
    assert set(log) == {p.prompt_id for p in prompts}, "every prompt has a row: nothing is lost"
    return [log[p.prompt_id] for p in prompts]


def on_policy_chat(kind: str, **extra: object) -> dict:
    return {"kind": kind, "path": CHAT, "model": BASE.model, **extra}


# (faults, extra requests they cost, failure rows left, their error_type)
RECOVERED = {
    "429 with Retry-After": ([on_policy_chat("429", retry_after=0.05)], 1),
    "5xx": ([on_policy_chat("500"), on_policy_chat("502"), on_policy_chat("503")], 3),
    "reset connection": ([on_policy_chat("drop")], 1),
    "truncated JSON": ([on_policy_chat("truncate")], 1),
    "timeout": ([on_policy_chat("slow", delay_ms=1500)], 1),
}


@pytest.mark.parametrize("name", RECOVERED)
def test_retryable_faults_cost_exactly_one_attempt_each(clean_sim, tmp_path, name):
    faults, extra = RECOVERED[name]
    schedule(clean_sim, faults)
    # One request at a time, so every scheduled fault hits the same (first) request.
    started = time.monotonic()
    prompts, result = run_generation(clean_sim, tmp_path / "data", fast_api(concurrency=1, timeout=0.5))
    elapsed = time.monotonic() - started
    counts = stats(clean_sim)
    assert counts["by_path"] == {MODELS: 1, CHAT: N_PROMPTS + extra}  # one pre-flight GET /models
    assert sum(counts["by_fault"].values()) == len(faults) and counts["pending_faults"] == 0
    assert result.succeeded == N_PROMPTS and result.failed == 0
    assert all(isinstance(row["response"], str) for row in rows_of(tmp_path / "data", prompts))
    if name == "429 with Retry-After":
        assert elapsed >= 0.05  # the server's Retry-After was honoured


@pytest.mark.parametrize("kind", ["400", "401", "404", "quota"])
def test_non_retryable_faults_get_one_attempt_and_a_failure_row(clean_sim, tmp_path, kind):
    schedule(clean_sim, [on_policy_chat(kind)])
    prompts, result = run_generation(clean_sim, tmp_path / "data", fast_api(concurrency=1))
    assert stats(clean_sim)["by_path"][CHAT] == N_PROMPTS  # no retry
    failed = [row for row in rows_of(tmp_path / "data", prompts) if row["response"] is None]
    assert len(failed) == 1 and result.failures == {"non_retryable": 1}
    assert failed[0]["error_type"] == "non_retryable" and failed[0]["attempts"] == 1
    assert failed[0]["error"].startswith("HTTP 4")


def test_retries_run_out_then_a_rerun_retries_the_failure(clean_sim, tmp_path):
    schedule(clean_sim, [on_policy_chat("503", count=5)])
    api = fast_api(concurrency=1, max_attempts=3)
    prompts, result = run_generation(clean_sim, tmp_path / "data", api)
    # First prompt: 3 failed attempts. Second: 2 failures then success. Third: 1.
    assert stats(clean_sim)["by_path"][CHAT] == 3 + 3 + 1
    assert result.failures == {"retryable": 1}
    failed = [row for row in rows_of(tmp_path / "data", prompts) if row["response"] is None]
    assert failed[0]["attempts"] == 3 and failed[0]["error_type"] == "retryable"
    _, again = run_generation(clean_sim, tmp_path / "data", api)
    assert again.status.done == N_PROMPTS - 1 and again.succeeded == 1
    assert stats(clean_sim)["by_path"][CHAT] == 7 + 1
    assert all(isinstance(row["response"], str) for row in rows_of(tmp_path / "data", prompts))


def score(sim, data_dir, kind, api, settings):
    prompts = prepared_prompts(data_dir, N_PROMPTS)
    with Connections(api, env=env_for(sim)) as connections:
        ctx = context(connections, data_dir, api, settings)
        generate_responses(prompts, ("base",), ctx)
        before = stats(sim)["by_model"].get(pc.JUDGE.model, 0)
        result = add_scores(kind, prompts, ("base",), ctx)
    judge_requests = stats(sim)["by_model"].get(pc.JUDGE.model, 0) - before
    return prompts, result, judge_requests, read_log(DataPaths(data_dir).scores("base", kind))


def test_a_bad_judge_reply_is_asked_again(clean_sim, tmp_path):
    schedule(clean_sim, [{"kind": "bad_judge", "model": pc.JUDGE.model}])
    prompts, result, requests, log = score(clean_sim, tmp_path / "data", "judge", fast_api(concurrency=1),
                                           run_settings())
    assert requests == N_PROMPTS + 1 and result.failed == 0
    assert sorted(row["attempts"] for row in log.values()) == [1, 1, 2]
    assert all(0.0 <= row["score"] <= 1.0 for row in log.values())


def test_unparseable_replies_are_stored_as_null_after_the_bound(clean_sim, tmp_path):
    schedule(clean_sim, [{"kind": "bad_judge", "model": pc.JUDGE.model, "count": 3}])
    settings = run_settings(max_parse_attempts=3)
    prompts, result, requests, log = score(clean_sim, tmp_path / "data", "judge", fast_api(concurrency=1),
                                           settings)
    assert requests == N_PROMPTS + 2
    nulls = [row for row in log.values() if row["score"] is None]
    assert len(nulls) == 1 and nulls[0]["attempts"] == 3 and "unusable judge reply" in nulls[0]["error"]
    assert set(log) == {p.prompt_id for p in prompts}


def test_transport_faults_on_the_judge_are_retried_by_the_one_policy(clean_sim, tmp_path):
    faults = [{"kind": kind, "model": pc.JUDGE.model} for kind in ("429", "502", "drop", "truncate")]
    faults[0]["retry_after"] = 0.01
    schedule(clean_sim, faults)
    _, result, requests, log = score(clean_sim, tmp_path / "data", "judge", fast_api(concurrency=2),
                                     run_settings())
    assert requests == N_PROMPTS + 4 and result.failed == 0
    assert all(row["score"] is not None for row in log.values())


def test_log_prob_faults_cost_one_attempt_each_and_values_stay_exact(clean_sim, tmp_path):
    data_dir = tmp_path / "data"
    prompts = prepared_prompts(data_dir, N_PROMPTS)
    api, settings, paths = fast_api(concurrency=1), run_settings(), DataPaths(tmp_path / "data")
    policies = ("base", "unhelpful")
    with Connections(api, env=env_for(clean_sim)) as connections:
        ctx = context(connections, data_dir, api, settings)
        generate_responses(prompts, ("base",), ctx)
        compute_logprobs(prompts, policies, ctx)
        clean = {p: read_log(paths.logprobs(p)) for p in policies}
        schedule(clean_sim, [{"kind": k, "path": COMPLETIONS} for k in ("500", "truncate", "drop", "404")])
        before = stats(clean_sim)["by_path"][COMPLETIONS]
        forced = context(connections, data_dir, api, run_settings(mode=ResumeMode.FORCE))
        result = compute_logprobs(prompts, policies, forced)
    # 3 retryable faults cost one extra attempt each; the 404 ends its row after one
    # (a 400 would not: the client reads it as "max_tokens 0 unsupported" and retries with 1).
    assert stats(clean_sim)["by_path"][COMPLETIONS] - before == 2 * N_PROMPTS + 3
    assert result.failures == {"non_retryable": 1}
    again = {p: read_log(paths.logprobs(p)) for p in policies}
    for policy in policies:
        for prompt_id, row in again[policy].items():
            if row.get("error") is None:
                assert row["logprob"] == clean[policy][prompt_id]["logprob"]
