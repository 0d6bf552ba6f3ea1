"""Teacher-forced log-probs: exact against the simulator's world through the
whole pipeline, the one-call method by text_offset, the two-call fallback when
the boundary splits a token, the max_tokens=1 fallback, and the echo checks."""

from __future__ import annotations

import math

import pytest

import policy_config as pc
from cje.api.client import EchoResult
from cje.chat_template import render_chat
from cje.pipeline.logprobs import (
    EchoCheckError,
    check_echo,
    span_from_difference,
    span_from_offset,
    teacher_forced_logprob,
)
from cje.pipeline.prompts import PromptSpec
from cje.pipeline.records import CurrentResponse, DataPaths, Prompt, read_log
from cje.pipeline.run import run_pipeline
from cje.pipeline.runner import Connections, SilentReporter
from tests.api.fault_server import FaultServer, prompt_tokens

from .helpers import ROLES, env_for, fast_api, read_jsonl, run_settings, small_prompts_file

BASE = pc.POLICIES["base"]


def test_pipeline_logprobs_equal_the_worlds_exact_values(clean_sim, tmp_path):
    paths = DataPaths(tmp_path / "data")
    spec = PromptSpec(n_samples=8, seed=3, prompts_file=small_prompts_file(tmp_path, 30))
    run_pipeline(spec, ROLES, run_settings(max_tokens=40), api=fast_api(), paths=paths, reporter=SilentReporter(),
                 env=env_for(clean_sim))
    rows = read_jsonl(paths.dataset)
    assert len(rows) == 8
    truncated = 0
    for row in rows:
        world = clean_sim.app.view.prompt(row["prompt"])
        match = world.match(row["response"])
        assert match is not None
        truncated += not match.complete
        for name, role in pc.POLICIES.items():
            world_policy = clean_sim.app.router.policy(role.model, role.system_prompt)
            exact = float(world.log_policy(world_policy, role.temperature)[match.index])
            got = row["base_policy_logprob"] if name == ROLES.logging_policy else row["target_policy_logprobs"][name]
            assert got == pytest.approx(exact, abs=1e-9), (row["prompt_id"], name)
    assert truncated > 0  # --max-tokens 40 cut some responses; they still score as their candidate
    methods = {r["method"] for p in pc.POLICIES for r in read_log(paths.logprobs(p)).values()}
    assert methods == {"text_offset"}  # one call per log-prob
    _assert_draws_carry_exact_logprobs(clean_sim, paths)


def _assert_draws_carry_exact_logprobs(sim, paths):
    """Each target's own responses, in its view, under itself and the logger."""
    logger = pc.POLICIES[ROLES.logging_policy]
    logger_world = sim.app.router.policy(logger.model, logger.system_prompt)
    for name in ROLES.target_policies:
        role = pc.POLICIES[name]
        own_world = sim.app.router.policy(role.model, role.system_prompt)
        view = [r for r in read_jsonl(paths.responses(name)) if isinstance(r.get("response"), str)]
        assert view
        for row in view:
            world = sim.app.view.prompt(row["prompt"])
            match = world.match(row["response"])
            own = float(world.log_policy(own_world, role.temperature)[match.index])
            under_logger = float(world.log_policy(logger_world, logger.temperature)[match.index])
            assert row["target_policy_logprob"] == pytest.approx(own, abs=1e-9)
            assert row["base_policy_logprob"] == pytest.approx(under_logger, abs=1e-9)


def test_without_draw_logprobs_the_views_carry_none_and_no_request_is_made(clean_sim, tmp_path):
    paths = DataPaths(tmp_path / "data")
    spec = PromptSpec(n_samples=4, seed=3, prompts_file=small_prompts_file(tmp_path, 30))
    run_pipeline(spec, ROLES, run_settings(max_tokens=40, draw_logprobs=False), api=fast_api(), paths=paths,
                 reporter=SilentReporter(), env=env_for(clean_sim))
    assert not list((paths.root / "logprobs").glob("*_draws_under_*.jsonl"))
    for name in ROLES.target_policies:
        assert all("target_policy_logprob" not in row for row in read_jsonl(paths.responses(name)))


def response_for(prompt_text: str, response: str) -> CurrentResponse:
    return CurrentResponse(Prompt("p1", prompt_text), response)


def server_env(server: FaultServer) -> dict[str, str]:
    return {"CJE_BASE_URL": server.base_url, "CJE_API_KEY": "sk-test"}


def positional_sum(text: str) -> float:
    """What the fault server's echo sums to: token i has log-prob -0.1 i."""
    return math.fsum(-0.1 * i for i in range(1, len(prompt_tokens(text))))


def test_a_boundary_inside_a_token_falls_back_to_two_calls():
    # The fault server merges "\n\n" with the next word, so the assistant text
    # starts inside a token.
    response = response_for("Name a colour.", "Blue, like the sky.")
    rendered = render_chat(BASE.system_prompt, "Name a colour.", "Blue, like the sky.")
    with FaultServer() as server, Connections(fast_api(), env=server_env(server)) as connections:
        row = teacher_forced_logprob(BASE, response, connections)
        sent = [seen.body["prompt"] for seen in server.requests]
    assert sent == [rendered.text, rendered.prefix]
    assert row["method"] == "full_minus_prefix"
    expected = positional_sum(rendered.text) - positional_sum(rendered.prefix)
    assert row["logprob"] == pytest.approx(expected, abs=1e-12) and row["logprob"] < 0


def test_max_tokens_zero_rejected_once_per_model():
    responses = [response_for("Say hi.", "Hi there."), response_for("Say bye.", "Goodbye now.")]
    with FaultServer(reject_zero_max_tokens=True) as server, \
            Connections(fast_api(concurrency=1), env=server_env(server)) as connections:
        rows = [teacher_forced_logprob(BASE, r, connections) for r in responses]
        asked = [seen.body["max_tokens"] for seen in server.requests]
    assert asked == [0, 1, 1, 1, 1]  # rejected once, then max_tokens=1 for every call
    assert all(row["error"] is None for row in rows if "error" in row)
    assert all(row["logprob"] < 0 for row in rows)


def echo(text: str, tokens: list[str], values: list[float | None]) -> EchoResult:
    offsets = [sum(len(t) for t in tokens[:i]) for i in range(len(tokens))]
    return EchoResult(text, tuple(tokens), tuple(values), tuple(offsets), 0, "m")


RENDERED = render_chat(None, "Q?", "Yes.")


def rendered_tokens() -> list[str]:
    """Tokens with a boundary exactly at the assistant text."""
    prefix, rest = RENDERED.prefix, RENDERED.text[RENDERED.assistant_start:]
    return [prefix[:17], prefix[17:], rest[:3], rest[3:4], rest[4:]]


def test_span_is_summed_from_the_token_at_the_offset_through_the_end():
    span = span_from_offset(echo(RENDERED.text, rendered_tokens(), [None, -1.0, -0.5, -0.25, -0.125]), RENDERED)
    assert span is not None and span.logprob == -0.875 and span.n_tokens == 3 and span.method == "text_offset"


def test_a_split_boundary_is_reported_as_none():
    tokens = [RENDERED.prefix[:-1], RENDERED.text[len(RENDERED.prefix) - 1:]]
    assert span_from_offset(echo(RENDERED.text, tokens, [None, -2.0]), RENDERED) is None


def test_difference_refuses_a_prefix_that_tokenises_differently():
    full = echo("abcd", ["a", "bcd"], [None, -1.0])
    prefix = echo("ab", ["a"], [None])
    assert span_from_difference(full, prefix).logprob == -1.0
    with pytest.raises(EchoCheckError, match="tokenises differently"):
        span_from_difference(echo("abcd", ["a", "b", "cd"], [None, -0.1, -0.1]),
                             echo("ab", ["a", "b"], [None, -0.5]))


@pytest.mark.parametrize(("text", "values", "problem"), [
    ("other text", [None, -1.0], "differs from the text sent"),
    ("ab", [None, 0.5], "log-prob 0.5"),
    ("ab", [None, None], "has no log-prob"),
    ("ab", [None, float("nan")], "log-prob nan"),
])
def test_echo_checks(text, values, problem):
    tokens = [text[:1], text[1:]]
    with pytest.raises(EchoCheckError, match=problem):
        check_echo(echo(text, tokens, values), "ab")


def test_a_failed_check_becomes_a_non_retryable_row():
    # A special token inside the response cannot be rendered: a row, not a crash.
    response = response_for("Q?", "I say <|eot_id|> here")
    with FaultServer() as server, Connections(fast_api(), env=server_env(server)) as connections:
        row = teacher_forced_logprob(BASE, response, connections)
        assert server.requests == []
    assert row["logprob"] is None and row["error_type"] == "non_retryable" and "special token" in row["error"]
