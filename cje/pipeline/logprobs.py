"""The log-probs step: the log-prob of each logging-policy response under every policy.

For each successful response of the logging policy and each policy (the
logging policy included, which gives ``base_policy_logprob``), the chat
(that policy's system prompt, the user prompt, the response) is rendered with
the policy's chat template and echoed by ``POST /completions`` at the policy's
temperature. Rows go to ``logprobs/{policy}_logprobs.jsonl`` with the method,
the prompt and response hashes and any error.

Teacher forcing: the provider echoes the chat's tokens with log-probs and
character offsets. The assistant's log-prob is the sum from the token that
starts at the assistant text's first character through the end-of-turn token,
the last one: one call. Only when no token starts there (the tokenizer merged
the boundary into one token) is the prefix echoed on its own and its total
subtracted from the full text's: two calls, which assume the prefix tokenises
the same alone as inside the whole, hence the last resort. Checks: the echo
must be exactly the text sent, every token but the first must have a
log-prob, and none may be positive.
"""

from __future__ import annotations

import logging
import math
from bisect import bisect_left
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from cje.api.client import EchoResult, echo_logprobs, usage_field
from cje.api.endpoints import Endpoint, Role
from cje.api.errors import RequestFailed
from cje.chat_template import ChatTemplateError, RenderedChat, render_chat
from cje.pipeline.errors import PipelineError
from cje.pipeline.records import (
    CurrentResponse,
    Expected,
    LogRows,
    Prompt,
    Tally,
    current_responses,
    read_log,
    reason_to_redo,
    settings_hash,
)
from cje.pipeline.runner import (
    Connections,
    Job,
    Row,
    StepContext,
    StepResult,
    StepStatus,
    compact_all,
    open_logs,
    run_jobs,
)
from cje.pipeline.settings import Roles, RunSettings, effective_model

# ---- teacher forcing: pure functions -----------------------------------------


Method = Literal["text_offset", "full_minus_prefix"]
_ROUNDING = 1e-6


class EchoCheckError(PipelineError):
    """An echo that cannot give a trustworthy log-prob."""


@dataclass(frozen=True)
class SpanLogprob:
    """The assistant span's log-prob, how it was found, and its token count."""

    logprob: float
    method: Method
    n_tokens: int


def check_echo(echo: EchoResult, sent: str) -> None:
    """The echo is the text sent, and no token log-prob is missing or positive."""
    if echo.text != sent:
        pairs = enumerate(zip(echo.text, sent, strict=False))
        at = next((i for i, (a, b) in pairs if a != b), min(len(echo.text), len(sent)))
        raise EchoCheckError(
            f"the echoed text differs from the text sent at character {at} "
            f"({len(echo.text)} vs {len(sent)} characters)"
        )
    for index, value in enumerate(echo.token_logprobs):
        if value is None and index > 0:
            raise EchoCheckError(f"token {index} ({echo.tokens[index]!r}) has no log-prob")
        if value is not None and (not math.isfinite(value) or value > 0.0):
            raise EchoCheckError(f"token {index} ({echo.tokens[index]!r}) has log-prob {value}: not a probability")


def span_start(echo: EchoResult, offset: int) -> int | None:
    """Index of the token starting exactly at character ``offset``, or None if
    the offset falls inside a token."""
    index = bisect_left(echo.text_offset, offset)
    if index < len(echo.text_offset) and echo.text_offset[index] == offset:
        return index
    return None


def span_from_offset(echo: EchoResult, rendered: RenderedChat) -> SpanLogprob | None:
    """The one-call log-prob, or None when the boundary splits a token."""
    first = span_start(echo, rendered.assistant_start)
    if first is None:
        return None
    values = echo.token_logprobs[first:]
    if first == 0 or not values:
        raise EchoCheckError("the echo has no tokens for the assistant text")
    return SpanLogprob(math.fsum(v for v in values if v is not None), "text_offset", len(values))


def span_from_difference(full: EchoResult, prefix: EchoResult) -> SpanLogprob:
    """The two-call log-prob: all of the full text minus all of the prefix."""
    if len(prefix.tokens) >= len(full.tokens):
        raise EchoCheckError("the prefix has as many tokens as the whole chat")
    total = math.fsum(v for v in full.token_logprobs if v is not None)
    before = math.fsum(v for v in prefix.token_logprobs if v is not None)
    difference = total - before
    if difference > _ROUNDING:
        raise EchoCheckError(
            f"full minus prefix is {difference:.6g} > 0: the prefix tokenises differently on its own"
        )
    # Rounding can leave a hair above zero when the span is (nearly) certain.
    return SpanLogprob(min(difference, 0.0), "full_minus_prefix", len(full.tokens) - len(prefix.tokens))

logger = logging.getLogger(__name__)


# ---- the step ----------------------------------------------------------------


STEP = "logprobs"
# A long response scored near log-prob 0 usually means only part of it was summed.
_SUSPICIOUS_TOKENS = 20
_SUSPICIOUS_LOGPROB = -1e-3


def expected_logprob(role: Role, response: CurrentResponse) -> Expected:
    knobs = settings_hash("logprob", effective_model(role), role.system_prompt, role.chat_template,
                          role.temperature)
    return Expected(content=response.content, settings_hash=knobs)


def teacher_forced_logprob(role: Role, response: CurrentResponse, connections: Connections) -> Row:
    """The log-prob of ``response`` under ``role``, as a row (a failure row if it failed)."""
    endpoint = connections.endpoint(role)
    row: Row = {
        "prompt_id": response.prompt.prompt_id, "policy": role.name, "model": endpoint.model,
        "temperature": role.temperature, "chat_template": role.chat_template, **response.content,
        "settings_hash": expected_logprob(role, response).settings_hash,
    }
    try:
        rendered = render_chat(role.system_prompt, response.prompt.prompt, response.response,
                               template=role.chat_template)
        span, usage = _span(rendered, endpoint, role, connections)
    except RequestFailed as failure:
        return {**row, "logprob": None, **failure.as_row(), "attempts": failure.attempts}
    except ChatTemplateError as error:
        return {**row, "logprob": None, "error": str(error), "error_type": "non_retryable", "cause": "chat template"}
    except EchoCheckError as error:
        return {**row, "logprob": None, "error": str(error), "error_type": "non_retryable", "cause": "bad echo"}
    if span.n_tokens > _SUSPICIOUS_TOKENS and span.logprob > _SUSPICIOUS_LOGPROB:
        logger.warning("%s under %s: log-prob %.3g over %d tokens is suspiciously close to 0",
                       response.prompt.prompt_id, role.name, span.logprob, span.n_tokens)
    return {**row, "logprob": span.logprob, "method": span.method, "n_tokens": span.n_tokens, "usage": usage}


def _span(rendered: RenderedChat, endpoint: Endpoint, role: Role, connections: Connections
          ) -> tuple[SpanLogprob, dict[str, int] | None]:
    """The span's log-prob, and the tokens its one or two echo calls used."""
    full = _echo(rendered.text, endpoint, role, connections)
    span = span_from_offset(full, rendered)
    if span is not None:
        return span, usage_field([full.usage])
    prefix = _echo(rendered.prefix, endpoint, role, connections)
    return span_from_difference(full, prefix), usage_field([full.usage, prefix.usage])


def _echo(text: str, endpoint: Endpoint, role: Role, connections: Connections) -> EchoResult:
    echo = echo_logprobs(
        connections.client(endpoint), model=endpoint.model, prompt=text, temperature=role.temperature,
        retry=connections.retry_for(endpoint), max_tokens=connections.echo_max_tokens(endpoint),
    )
    connections.remember_echo_max_tokens(endpoint, echo.max_tokens)
    check_echo(echo, text)
    return echo


def logprobs_todo(
    policies: Sequence[str], roles: Roles, settings: RunSettings, responses: Sequence[CurrentResponse],
    logs: Mapping[str, LogRows],
) -> tuple[Tally, list[tuple[str, CurrentResponse]]]:
    """Which (policy, logging-policy response) log-probs the step must compute."""
    tally, todo = Tally(), []
    for policy in policies:
        role = roles.policies[policy]
        for response in responses:
            reason = reason_to_redo(logs.get(policy, {}).get(response.prompt.prompt_id),
                                    expected_logprob(role, response), settings.mode)
            tally.add(reason)
            if reason is not None:
                todo.append((policy, response))
    return tally, todo


def logprobs_status(roles: Roles, policies: Sequence[str], n_prompts: int, n_responses: int,
                    tally: Tally) -> StepStatus:
    missing = n_prompts - n_responses
    notes = (f"{missing} prompts have no successful {roles.logging_policy} response",) if missing else ()
    return StepStatus.from_tally(
        STEP, f"{len(policies)} policies x {n_responses} {roles.logging_policy} responses: teacher-forced log-probs",
        tally, notes)


def compute_logprobs(prompts: Sequence[Prompt], policies: Sequence[str], ctx: StepContext) -> StepResult:
    """Log-probs of the logging policy's current responses under ``policies``."""
    roles, settings, connections = ctx.roles, ctx.settings, ctx.connections
    responses = current_responses(read_log(ctx.paths.generations(roles.logging_policy)), prompts)
    with open_logs({p: ctx.paths.logprobs(p) for p in policies}, batch_size=ctx.api.batch_size) as logs:
        tally, todo = logprobs_todo(policies, roles, settings, responses, {p: log.rows for p, log in logs.items()})
        status = logprobs_status(roles, policies, len(prompts), len(responses), tally)
        ctx.reporter.status(status)
        connections.ready([roles.policies[policy] for policy in dict.fromkeys(policy for policy, _ in todo)])
        jobs = [Job(policy, response.prompt.prompt_id, _bind(roles.policies[policy], response, connections))
                for policy, response in todo]
        result = run_jobs(jobs, logs, connections, ctx.reporter, status)
        compact_all(logs, prompts)
    return result


def _bind(role: Role, response: CurrentResponse, connections: Connections) -> Callable[[], Row]:
    return lambda: teacher_forced_logprob(role, response, connections)
