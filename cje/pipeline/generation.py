"""The responses step: each policy answers each prompt; and failed responses,
counted by policy and error type and generated again.

A request is the policy's system prompt and the user prompt, at the policy's
temperature, with ``--max-tokens`` and a request ``seed`` derived from the run
seed, the policy, the prompt and the row's ``draw`` number, so that a request
repeated after a crash asks for the same sample. ``draw`` is 0 in a normal
run; regenerating a failed response asks for the next draw, a fresh sample.
Every outcome is a row of ``generations/{policy}_generations.jsonl``: the
response with its hash, ``finish_reason`` and token usage, or
``response: null`` with ``error`` and ``error_type``. When the step finishes
its logs are compacted (one row per prompt, in prompt order); the caller then
refreshes the ``responses/`` views.

A regenerated response is a new row of the generation log (the last row of a
prompt wins), a fresh sample with its own ``response_hash``. Scores and
log-probs record the hash of the text they were computed from, so any left
from an earlier text of that prompt no longer match: the next pipeline run
recomputes exactly those, and the dataset build refuses to join the old
values in the meantime.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from cje.api.client import ChatResult, chat
from cje.api.endpoints import Role
from cje.api.errors import RequestFailed
from cje.pipeline.records import (
    DataPaths,
    Expected,
    LogRows,
    Prompt,
    Reason,
    Tally,
    failed,
    read_log,
    reason_to_redo,
    settings_hash,
    stable_int,
    text_hash,
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
from cje.pipeline.settings import Roles, RunSettings, effective_model, token_limit_param

STEP = "responses"


def request_seed(run_seed: int, policy: str, prompt_id: str, draw: int) -> int:
    """The ``seed`` sent with a generation request."""
    return stable_int("generation", run_seed, policy, prompt_id, draw)


def expected_generation(role: Role, prompt: Prompt, settings: RunSettings) -> Expected:
    """What a finished generation row of ``role`` for ``prompt`` records."""
    knobs = settings_hash("generation", effective_model(role), role.system_prompt, role.temperature,
                          settings.max_tokens, settings.seed)
    return Expected(content={"prompt_hash": prompt.prompt_hash}, settings_hash=knobs)


def messages_for(role: Role, prompt: str) -> list[dict[str, str]]:
    system = [] if role.system_prompt is None else [{"role": "system", "content": role.system_prompt}]
    return [*system, {"role": "user", "content": prompt}]


def generate(
    role: Role, prompt: Prompt, settings: RunSettings, connections: Connections, *, draw: int = 0
) -> Row:
    """One generation request, as a row (a failure row if it failed for good)."""
    expected = expected_generation(role, prompt, settings)
    seed = request_seed(settings.seed, role.name, prompt.prompt_id, draw)
    endpoint = connections.endpoint(role)
    row: Row = {
        "prompt_id": prompt.prompt_id, "policy": role.name, "prompt": prompt.prompt, "model": endpoint.model,
        "temperature": role.temperature, "max_tokens": settings.max_tokens, "seed": seed, "draw": draw,
        "prompt_hash": prompt.prompt_hash, "settings_hash": expected.settings_hash,
    }
    try:
        result = chat(
            connections.client(endpoint), model=endpoint.model, messages=messages_for(role, prompt.prompt),
            temperature=role.temperature, max_tokens=settings.max_tokens, retry=connections.retry_for(endpoint),
            token_limit_param=token_limit_param(role.name, endpoint.model), seed=seed,
        )
    except RequestFailed as failure:
        return {**row, "response": None, **failure.as_row(), "attempts": failure.attempts}
    return {**row, **_result_fields(result)}


def _result_fields(result: ChatResult) -> Row:
    usage = result.usage
    return {
        "response": result.text,
        "response_hash": text_hash(result.text),
        "finish_reason": result.finish_reason,
        "usage": None if usage is None else {
            "prompt_tokens": usage.prompt_tokens, "completion_tokens": usage.completion_tokens,
            "total_tokens": usage.total_tokens,
        },
        "response_model": result.model,
    }


@dataclass(frozen=True)
class GenerationTodo:
    """One response to (re)generate: the policy, the prompt, and the draw to ask for."""

    policy: str
    prompt: Prompt
    draw: int


def responses_todo(
    prompts: Sequence[Prompt], policies: Sequence[str], roles: Roles, settings: RunSettings,
    logs: Mapping[str, LogRows], *, only_failed: bool = False,
) -> tuple[Tally, list[GenerationTodo]]:
    """What the responses step must do, given each policy's log rows.

    ``only_failed`` retries failure rows and nothing else, each with its next
    draw (regeneration); otherwise a failed row is retried with its own draw
    and any other row to redo starts again at draw 0.
    """
    tally, todo = Tally(), []
    for name in policies:
        role, rows = roles.policies[name], logs.get(name, {})
        for prompt in prompts:
            row = rows.get(prompt.prompt_id)
            if only_failed:
                reason = Reason.FAILED if row is not None and failed(row) else None
            else:
                reason = reason_to_redo(row, expected_generation(role, prompt, settings), settings.mode)
            tally.add(reason)
            if reason is not None:
                todo.append(GenerationTodo(name, prompt, _next_draw(row, reason, only_failed=only_failed)))
    return tally, todo


def generate_responses(
    prompts: Sequence[Prompt], policies: Sequence[str], ctx: StepContext, *, only_failed: bool = False
) -> StepResult:
    """Run the responses step for ``policies`` (see ``responses_todo``); logs are
    compacted if it finishes."""
    settings, connections, roles = ctx.settings, ctx.connections, ctx.roles
    log_paths = {name: ctx.paths.generations(name) for name in policies}
    with open_logs(log_paths, batch_size=ctx.api.batch_size) as logs:
        tally, todo = responses_todo(prompts, policies, roles, settings, {n: log.rows for n, log in logs.items()},
                                     only_failed=only_failed)
        status = StepStatus.from_tally(STEP, responses_description(policies, prompts), tally)
        ctx.reporter.status(status)
        connections.ready([roles.policies[name] for name in dict.fromkeys(t.policy for t in todo)])
        jobs = [Job(t.policy, t.prompt.prompt_id, _bind(roles.policies[t.policy], t.prompt, settings, connections,
                                                       t.draw)) for t in todo]
        result = run_jobs(jobs, logs, connections, ctx.reporter, status)
        compact_all(logs, prompts)
    return result


def responses_description(policies: Sequence[str], prompts: Sequence[Prompt]) -> str:
    return f"{len(policies)} policies x {len(prompts)} prompts: generate each response"


def _next_draw(row: Mapping[str, object] | None, reason: Reason, *, only_failed: bool) -> int:
    """Regeneration asks for a fresh sample; a plain retry of a failure repeats
    its request; anything else is redone from the first draw."""
    previous = row.get("draw") if row is not None else 0
    previous = previous if isinstance(previous, int) else 0
    if only_failed:
        return previous + 1
    return previous if reason is Reason.FAILED else 0


def _bind(role: Role, prompt: Prompt, settings: RunSettings, connections: Connections, draw: int
          ) -> Callable[[], Row]:
    return lambda: generate(role, prompt, settings, connections, draw=draw)


# ---- failed responses --------------------------------------------------------

_EXAMPLE_CHARS = 160


@dataclass(frozen=True)
class FailureCount:
    """One policy's failed responses: how many of each error type, and an example of each."""

    policy: str
    by_type: Mapping[str, int]
    examples: Mapping[str, str]

    @property
    def total(self) -> int:
        return sum(self.by_type.values())


def count_failures(paths: DataPaths, prompts: Sequence[Prompt], policies: Sequence[str]) -> list[FailureCount]:
    """Failed responses to the current prompts, per policy."""
    counts = []
    for policy in policies:
        log = read_log(paths.generations(policy))
        rows = [log[p.prompt_id] for p in prompts if p.prompt_id in log and failed(log[p.prompt_id])]
        by_type = Counter(str(row.get("error_type")) for row in rows)
        examples: dict[str, str] = {}
        for row in rows:
            examples.setdefault(str(row.get("error_type")), str(row.get("error"))[:_EXAMPLE_CHARS])
        counts.append(FailureCount(policy, dict(by_type), examples))
    return counts
