"""How a step runs: the shared request machinery, the step's context, its jobs,
and what it tells its user.

One ``Connections`` serves a whole run: endpoints, clients, the retry policy,
the rate limit, the concurrency window and the stop signal. Endpoints are
resolved (and API keys read) only when a step has work for a role, so
resuming a finished run needs no key. Clients are shared per (base URL, key
variable); the echo ``max_tokens`` a provider accepted is remembered per
model, so a provider that rejects ``max_tokens: 0`` costs one rejected request
per run, not one per row.

A job's callable makes one row - a result or a failure row - and raises only
on a bug or a stop request. Rows are appended the moment they finish, from
this (the consumer's) thread, so a killed run loses only the requests in
flight; logs are fsync'd every ``batch_size`` rows and on close.

A step describes itself (a ``StepStatus`` before it starts, a ``StepResult``
after); the scripts draw (``cje.cli.progress`` renders status blocks and
progress). Library callers that want silence pass ``SilentReporter()``.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, Protocol, TypeVar

import openai

from cje.api.client import make_client
from cje.api.concurrency import Finished, StopSignal, run_tasks
from cje.api.endpoints import Endpoint, Role, resolve_endpoint
from cje.api.ratelimit import RateLimiter
from cje.api.retry import RetryPolicy
from cje.io.store import JsonlStore
from cje.pipeline.records import DataPaths, Prompt, Tally
from cje.pipeline.settings import ApiSettings, Roles, RunSettings

logger = logging.getLogger(__name__)

K = TypeVar("K")
R = TypeVar("R")
Row = dict[str, object]


# ---- what a step tells its user ---------------------------------------------


@dataclass(frozen=True)
class StepStatus:
    """A step's work before it starts: ``total`` records, ``done`` of them
    kept from earlier runs (resumed), the rest to do by reason."""

    step: str
    description: str
    total: int
    done: int
    todo: Mapping[str, int]
    notes: tuple[str, ...] = ()

    @property
    def n_todo(self) -> int:
        return sum(self.todo.values())

    @classmethod
    def from_tally(cls, step: str, description: str, tally: Tally, notes: tuple[str, ...] = ()) -> StepStatus:
        todo = {reason.value: count for reason, count in tally.todo.items() if count}
        return cls(step, description, tally.total, tally.done, todo, notes)


@dataclass
class StepResult:
    """What a step did: rows attempted, and failures by error type."""

    step: str
    status: StepStatus
    succeeded: int = 0
    failures: Counter[str] = field(default_factory=Counter)

    @property
    def failed(self) -> int:
        return sum(self.failures.values())


class ProgressBar(Protocol):
    def advance(self, *, failed: bool) -> None: ...

    def close(self) -> None: ...


class Reporter(Protocol):
    """Receives a step's status block and draws its progress."""

    def status(self, status: StepStatus) -> None: ...

    def bar(self, step: str, total: int) -> ProgressBar: ...


class _NoBar:
    def advance(self, *, failed: bool) -> None:
        return None

    def close(self) -> None:
        return None


class SilentReporter:
    """Reports nothing (library use, tests)."""

    def status(self, status: StepStatus) -> None:
        return None

    def bar(self, step: str, total: int) -> ProgressBar:
        return _NoBar()


# ---- the request machinery of a run ---------------------------------------------


class Connections:
    """Shared request machinery of one run. Close it (or use ``with``) at the end."""

    def __init__(self, api: ApiSettings, *, env: Mapping[str, str] | None = None) -> None:
        self.api = api
        self.stop = StopSignal()
        # Retry waits sleep on the stop signal, so Ctrl-C ends them at once.
        self.retry = RetryPolicy(
            max_attempts=api.max_attempts,
            base_delay=api.retry_base_delay,
            max_delay=max(api.retry_base_delay, 60.0),
            max_retry_after=api.max_retry_after,
            sleep=self.stop.sleep,
        )
        self._limiter = RateLimiter(api.requests_per_minute) if api.requests_per_minute else None
        self._env = env
        self._endpoints: dict[str, Endpoint] = {}
        self._clients: dict[tuple[str, str], openai.OpenAI] = {}
        self._echo_max_tokens: dict[tuple[str, str], Literal[0, 1]] = {}
        self._lock = threading.Lock()

    def endpoint(self, role: Role) -> Endpoint:
        """``role`` resolved against the environment (raises if its key is missing)."""
        with self._lock:
            if role.name not in self._endpoints:
                self._endpoints[role.name] = resolve_endpoint(role, env=self._env)
            return self._endpoints[role.name]

    def client(self, endpoint: Endpoint) -> openai.OpenAI:
        """The shared client for ``endpoint``'s base URL and key."""
        key = (endpoint.base_url, endpoint.api_key_env)
        with self._lock:
            if key not in self._clients:
                self._clients[key] = make_client(
                    endpoint, timeout=self.api.timeout, max_connections=self.api.concurrency
                )
            return self._clients[key]

    def echo_max_tokens(self, endpoint: Endpoint) -> Literal[0, 1]:
        """The echo ``max_tokens`` to ask for: 0 until the provider rejected it."""
        with self._lock:
            return self._echo_max_tokens.get((endpoint.base_url, endpoint.model), 0)

    def remember_echo_max_tokens(self, endpoint: Endpoint, accepted: int) -> None:
        if accepted == 1:
            with self._lock:
                self._echo_max_tokens[(endpoint.base_url, endpoint.model)] = 1

    def run(self, tasks: Iterable[tuple[K, Callable[[], R]]]) -> Iterator[Finished[K, R]]:
        """``run_tasks`` with this run's concurrency, rate limit and stop signal."""
        return run_tasks(tasks, concurrency=self.api.concurrency, limiter=self._limiter, stop=self.stop)

    def close(self) -> None:
        with self._lock:
            clients, self._clients = list(self._clients.values()), {}
        for client in clients:
            client.close()

    def __enter__(self) -> Connections:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


@dataclass(frozen=True)
class StepContext:
    """The roles, settings, request machinery, files and reporter of a run."""

    roles: Roles
    settings: RunSettings
    api: ApiSettings
    connections: Connections
    paths: DataPaths
    reporter: Reporter


# ---- a step's jobs ----------------------------------------------------------


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
