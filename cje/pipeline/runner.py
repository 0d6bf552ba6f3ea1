"""Run a step's jobs concurrently and append each finished row to its log.

A job's callable makes one row - a result or a failure row - and raises only
on a bug or a stop request. Rows are appended the moment they finish, from
this (the consumer's) thread, so a killed run loses only the requests in
flight; logs are fsync'd every ``batch_size`` rows and on close.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

from cje.io.store import JsonlStore
from cje.pipeline.connections import Connections
from cje.pipeline.progress import Reporter, StepResult, StepStatus
from cje.pipeline.prompts import Prompt

Row = dict[str, object]


@dataclass(frozen=True)
class Job:
    """One request's worth of work: the log its row goes to, and the call making it."""

    log: str
    row_id: str
    make_row: Callable[[], Row]


@contextmanager
def open_logs(paths: Mapping[str, Path], *, batch_size: int) -> Iterator[dict[str, JsonlStore]]:
    """The logs at ``paths`` (created if needed), closed - hence fsync'd - on exit."""
    with ExitStack() as stack:
        yield {
            name: stack.enter_context(JsonlStore(path, key="prompt_id", batch_size=batch_size))
            for name, path in paths.items()
        }


def run_jobs(
    jobs: Sequence[Job],
    logs: Mapping[str, JsonlStore],
    connections: Connections,
    reporter: Reporter,
    status: StepStatus,
    *,
    checkpoint: Callable[[], None] | None = None,
    checkpoint_every: int = 0,
) -> StepResult:
    """Run ``jobs``, appending each row as it finishes; returns the tallies.

    ``checkpoint`` (if given) is called after every ``checkpoint_every`` rows.
    """
    result = StepResult(status.step, status)
    if not jobs:
        return result
    bar = reporter.bar(status.step, len(jobs))
    try:
        tasks = ((job.log, job.make_row) for job in jobs)
        for finished in connections.run(tasks):
            row = finished.value
            logs[finished.key].append([row])
            error_type = row.get("error_type")
            if error_type is None:
                result.succeeded += 1
            else:
                result.failures[str(error_type)] += 1
            bar.advance(failed=error_type is not None)
            finished_rows = result.succeeded + result.failed
            if checkpoint is not None and checkpoint_every and finished_rows % checkpoint_every == 0:
                checkpoint()
    finally:
        bar.close()
    return result


def compact(log: JsonlStore, order: Sequence[str]) -> None:
    """Rewrite ``log`` atomically with one row per id: ids of ``order`` first, in
    that order, then any others sorted (rows of prompts no longer sampled are kept)."""
    rows = log.rows
    listed = [rows[row_id] for row_id in order if row_id in rows]
    wanted = set(order)
    others = [rows[row_id] for row_id in sorted(rows) if row_id not in wanted]
    log.rewrite([*listed, *others])


def compact_all(logs: Mapping[str, JsonlStore], prompts: Sequence[Prompt]) -> None:
    """Compact every log of a step that finished, in prompt order."""
    order = [prompt.prompt_id for prompt in prompts]
    for log in logs.values():
        compact(log, order)
