"""The log-probs step: the log-prob of each logging-policy response under every policy.

For each successful response of the logging policy and each policy (the
logging policy included, which gives ``base_policy_logprob``), the chat
(that policy's system prompt, the user prompt, the response) is rendered with
the policy's chat template and echoed by ``POST /completions`` at the policy's
temperature; ``teacher_forcing`` turns the echo into the span's log-prob.
Rows go to ``logprobs/{policy}_logprobs.jsonl`` with the method, the prompt
and response hashes and any error.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

from cje.api.client import EchoResult, echo_logprobs
from cje.api.endpoints import Endpoint, Role
from cje.api.errors import RequestFailed
from cje.chat_template import ChatTemplateError, RenderedChat, render_chat
from cje.pipeline.connections import Connections
from cje.pipeline.context import StepContext
from cje.pipeline.hashing import settings_hash
from cje.pipeline.logs import CurrentResponse, current_responses, read_log
from cje.pipeline.models import effective_model
from cje.pipeline.progress import StepResult, StepStatus
from cje.pipeline.prompts import Prompt
from cje.pipeline.runner import Job, Row, compact_all, open_logs, run_jobs
from cje.pipeline.staleness import Expected, Tally, reason_to_redo
from cje.pipeline.teacher_forcing import EchoCheckError, SpanLogprob, check_echo, span_from_difference, span_from_offset

logger = logging.getLogger(__name__)

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
        span = _span(rendered, endpoint, role, connections)
    except RequestFailed as failure:
        return {**row, "logprob": None, **failure.as_row(), "attempts": failure.attempts}
    except (ChatTemplateError, EchoCheckError) as error:
        return {**row, "logprob": None, "error": str(error), "error_type": "non_retryable"}
    if span.n_tokens > _SUSPICIOUS_TOKENS and span.logprob > _SUSPICIOUS_LOGPROB:
        logger.warning("%s under %s: log-prob %.3g over %d tokens is suspiciously close to 0",
                       response.prompt.prompt_id, role.name, span.logprob, span.n_tokens)
    return {**row, "logprob": span.logprob, "method": span.method, "n_tokens": span.n_tokens}


def _span(rendered: RenderedChat, endpoint: Endpoint, role: Role, connections: Connections) -> SpanLogprob:
    full = _echo(rendered.text, endpoint, role, connections)
    span = span_from_offset(full, rendered)
    if span is not None:
        return span
    prefix = _echo(rendered.prefix, endpoint, role, connections)
    return span_from_difference(full, prefix)


def _echo(text: str, endpoint: Endpoint, role: Role, connections: Connections) -> EchoResult:
    echo = echo_logprobs(
        connections.client(endpoint), model=endpoint.model, prompt=text, temperature=role.temperature,
        retry=connections.retry, max_tokens=connections.echo_max_tokens(endpoint),
    )
    connections.remember_echo_max_tokens(endpoint, echo.max_tokens)
    check_echo(echo, text)
    return echo


def compute_logprobs(prompts: Sequence[Prompt], policies: Sequence[str], ctx: StepContext) -> StepResult:
    """Log-probs of the logging policy's current responses under ``policies``."""
    roles, settings, connections = ctx.roles, ctx.settings, ctx.connections
    responses = current_responses(read_log(ctx.paths.generations(roles.logging_policy)), prompts)
    with open_logs({p: ctx.paths.logprobs(p) for p in policies}, batch_size=ctx.api.batch_size) as logs:
        tally, jobs = Tally(), []
        for policy in policies:
            role = roles.policies[policy]
            for response in responses:
                reason = reason_to_redo(logs[policy].rows.get(response.prompt.prompt_id),
                                        expected_logprob(role, response), settings.mode)
                tally.add(reason)
                if reason is not None:
                    jobs.append(Job(policy, response.prompt.prompt_id, _bind(role, response, connections)))
        missing = len(prompts) - len(responses)
        notes = (f"{missing} prompts have no successful {roles.logging_policy} response",) if missing else ()
        status = StepStatus.from_tally(
            STEP, f"{len(policies)} policies x {len(responses)} {roles.logging_policy} responses: "
            "teacher-forced log-probs", tally, notes)
        ctx.reporter.status(status)
        for policy in dict.fromkeys(job.log for job in jobs):
            connections.endpoint(roles.policies[policy])  # a missing API key stops the step before any request
        result = run_jobs(jobs, logs, connections, ctx.reporter, status)
        compact_all(logs, prompts)
    return result


def _bind(role: Role, response: CurrentResponse, connections: Connections) -> Callable[[], Row]:
    return lambda: teacher_forced_logprob(role, response, connections)
