"""The draw log-probs step: each target policy's own responses, teacher-forced
under that policy and under the logging policy.

The log-probs step scores the logging policy's responses, which is what the
importance weights need. It cannot see a support gap: responses the target
writes and the logger never would. Scoring the target's own responses (its
fresh draws) under both policies can: the analysis counts the share of them
the logger produces at least 1/100 as often as the target does (its target
coverage, :mod:`cje.diagnostics.overlap`), and an IPS-type estimate is not
``ok`` where that share is low. Two echo requests per response; rows go to
``logprobs/{target}_draws_under_{policy}.jsonl`` and into the target's view
as ``target_policy_logprob`` and ``base_policy_logprob``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from cje.pipeline.logprobs import expected_logprob, teacher_forced_logprob
from cje.pipeline.records import (
    CurrentResponse,
    DataPaths,
    LogRows,
    Prompt,
    Tally,
    current_responses,
    is_current,
    read_log,
    reason_to_redo,
)
from cje.pipeline.records import Row as StoredRow
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
from cje.pipeline.settings import Roles, RunSettings

STEP = "draw logprobs"


@dataclass(frozen=True)
class DrawLog:
    """One log of the step: ``target``'s responses under ``scorer``."""

    target: str
    scorer: str

    @property
    def name(self) -> str:
        return f"{self.target} under {self.scorer}"


def draw_logs(roles: Roles, policies: Sequence[str]) -> list[DrawLog]:
    """Every (target, scorer) pair the step fills: each target policy among
    ``policies`` under itself and under the logging policy."""
    targets = [p for p in policies if p != roles.logging_policy]
    return [DrawLog(t, scorer) for t in targets for scorer in (t, roles.logging_policy)]


def target_responses(paths: DataPaths, prompts: Sequence[Prompt], logs: Sequence[DrawLog]
                     ) -> dict[str, list[CurrentResponse]]:
    return {t: current_responses(read_log(paths.generations(t)), prompts) for t in {log.target for log in logs}}


def draw_logprobs_todo(logs: Sequence[DrawLog], roles: Roles, settings: RunSettings,
                       responses: Mapping[str, Sequence[CurrentResponse]], rows: Mapping[str, LogRows]
                       ) -> tuple[Tally, list[tuple[DrawLog, CurrentResponse]]]:
    """Which (log, target response) log-probs the step must compute."""
    tally, todo = Tally(), []
    for log in logs:
        role = roles.policies[log.scorer]
        for response in responses.get(log.target, ()):
            reason = reason_to_redo(rows.get(log.name, {}).get(response.prompt.prompt_id),
                                    expected_logprob(role, response), settings.mode)
            tally.add(reason)
            if reason is not None:
                todo.append((log, response))
    return tally, todo


def draw_logprobs_status(roles: Roles, logs: Sequence[DrawLog], tally: Tally) -> StepStatus:
    targets = len({log.target for log in logs})
    return StepStatus.from_tally(
        STEP, f"{targets} target policies' own responses under themselves and {roles.logging_policy}: "
        "teacher-forced log-probs (target coverage)", tally)


def compute_draw_logprobs(prompts: Sequence[Prompt], policies: Sequence[str], ctx: StepContext) -> StepResult:
    """Log-probs of the target policies' current responses under themselves
    and under the logging policy."""
    roles = ctx.roles
    logs = draw_logs(roles, policies)
    responses = target_responses(ctx.paths, prompts, logs)
    paths = {log.name: ctx.paths.draw_logprobs(log.target, log.scorer) for log in logs}
    with open_logs(paths, batch_size=ctx.api.batch_size) as stores:
        tally, todo = draw_logprobs_todo(logs, roles, ctx.settings, responses,
                                         {name: store.rows for name, store in stores.items()})
        status = draw_logprobs_status(roles, logs, tally)
        ctx.reporter.status(status)
        ctx.connections.ready([roles.policies[scorer] for scorer in dict.fromkeys(log.scorer for log, _ in todo)])
        jobs = [Job(log.name, response.prompt.prompt_id, _bind(roles, log, response, ctx.connections))
                for log, response in todo]
        result = run_jobs(jobs, stores, ctx.connections, ctx.reporter, status)
        compact_all(stores, prompts)
    return result


def _bind(roles: Roles, log: DrawLog, response: CurrentResponse, connections: Connections) -> Callable[[], Row]:
    return lambda: teacher_forced_logprob(roles.policies[log.scorer], response, connections)


def draw_logprob_fields(paths: DataPaths, roles: Roles, target: str) -> Callable[[Prompt, str], dict[str, object]]:
    """For the view of ``target``: a function giving a response's
    ``target_policy_logprob`` and ``base_policy_logprob`` (null unless
    computed from exactly that prompt and response text)."""
    own = read_log(paths.draw_logprobs(target, target))
    logger = read_log(paths.draw_logprobs(target, roles.logging_policy))

    def fields(prompt: Prompt, response: str) -> dict[str, object]:
        content = CurrentResponse(prompt, response).content
        return {"target_policy_logprob": current_logprob(own.get(prompt.prompt_id), content),
                "base_policy_logprob": current_logprob(logger.get(prompt.prompt_id), content)}

    return fields


def current_logprob(row: StoredRow | None, content: Mapping[str, str]) -> float | None:
    """The log-prob in ``row`` if it was computed from exactly these texts."""
    if row is None or not is_current(row, content):
        return None
    value = row.get("logprob")
    return float(value) if isinstance(value, (int, float)) else None
