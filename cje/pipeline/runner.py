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

import dataclasses
import logging
import threading
from collections import Counter
from collections.abc import Callable, Generator, Iterable, Iterator, Mapping, Sequence
from contextlib import ExitStack, closing, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal, Protocol, TypeVar

from cje.api.client import make_client
from cje.api.concurrency import Finished, StopSignal, abandoned_tasks, run_tasks
from cje.api.endpoints import Endpoint, Role, resolve_endpoint
from cje.api.health import CircuitBreaker, Probe, preflight
from cje.api.ratelimit import RateLimiter
from cje.api.retry import RetryPolicy
from cje.io.store import JsonlStore
from cje.pipeline.records import DataPaths, Prompt, Tally
from cje.pipeline.settings import ApiSettings, Roles, RunSettings

if TYPE_CHECKING:
    import openai  # annotations only: the SDK loads with the first client

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
    """What a step did: rows attempted; failures by error type, and by policy and
    cause with one provider message per cause; tokens used per model."""

    step: str
    status: StepStatus
    succeeded: int = 0
    failures: Counter[str] = field(default_factory=Counter)
    causes: Counter[tuple[str, str]] = field(default_factory=Counter)
    messages: dict[str, str] = field(default_factory=dict)
    input_tokens: Counter[str] = field(default_factory=Counter)
    output_tokens: Counter[str] = field(default_factory=Counter)

    @property
    def failed(self) -> int:
        return sum(self.failures.values())

    def record(self, policy: str, row: Mapping[str, object]) -> None:
        """Count one finished row of ``policy``."""
        usage, model = row.get("usage"), str(row.get("model", "?"))
        if isinstance(usage, Mapping):
            self.input_tokens[model] += _count(usage.get("prompt_tokens"))
            self.output_tokens[model] += _count(usage.get("completion_tokens"))
        error_type = row.get("error_type")
        if error_type is None:
            self.succeeded += 1
            return
        self.failures[str(error_type)] += 1
        cause = failure_cause(row)
        self.causes[(policy, cause)] += 1
        self.messages.setdefault(cause, str(row.get("error", ""))[:_MESSAGE_CHARS])


_MESSAGE_CHARS = 300


def failure_cause(row: Mapping[str, object]) -> str:
    """A failure row's cause (rows written before causes were recorded: the start of the error)."""
    cause = row.get("cause")
    if isinstance(cause, str) and cause:
        return cause
    return str(row.get("error", "unknown")).split(":", 1)[0][:60]


def _count(value: object) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


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

    def __init__(self, api: ApiSettings, *, env: Mapping[str, str] | None = None, preflight: bool = True) -> None:
        self.api = api
        self.stop = StopSignal()
        self.retries: Counter[str] = Counter()  # retried faults by kind, for the summary
        # Retry waits sleep on the stop signal, so Ctrl-C ends them at once.
        self.retry = RetryPolicy(
            max_attempts=api.max_attempts,
            base_delay=api.retry_base_delay,
            max_delay=max(api.retry_base_delay, 60.0),
            max_retry_after=api.max_retry_after,
            sleep=self.stop.sleep,
            on_retry=self._count_retry,
        )
        self._limiter = RateLimiter(api.requests_per_minute) if api.requests_per_minute else None
        self._env = env
        self._preflight = preflight
        self._endpoints: dict[str, Endpoint] = {}
        self._clients: dict[tuple[str, str], openai.OpenAI] = {}
        self._retries: dict[tuple[str, str], RetryPolicy] = {}
        self._checked: set[tuple[str, str]] = set()
        self._echo_max_tokens: dict[tuple[str, str], Literal[0, 1]] = {}
        self._lock = threading.Lock()

    def _count_retry(self, kind: str) -> None:
        with self._lock:
            self.retries[kind] += 1

    def endpoint(self, role: Role) -> Endpoint:
        """``role`` resolved against the environment (raises if its key is missing)."""
        with self._lock:
            if role.name not in self._endpoints:
                self._endpoints[role.name] = resolve_endpoint(role, env=self._env)
            return self._endpoints[role.name]

    def ready(self, roles: Sequence[Role]) -> None:
        """Resolve ``roles`` (a missing key stops here) and, once per endpoint, check
        that it answers at all (``cje.api.health.preflight``): before a step's first request."""
        endpoints = [self.endpoint(role) for role in roles]
        if not self._preflight:
            return
        groups: dict[tuple[str, str], list[Endpoint]] = {}
        for endpoint in endpoints:
            groups.setdefault((endpoint.base_url, endpoint.api_key_env), []).append(endpoint)
        probes = [Probe(group[0], self.client(group[0]), tuple(e.role for e in group))
                  for key, group in groups.items() if key not in self._checked]
        for warning in preflight(probes, sleep=self.stop.sleep):
            logger.warning("%s", warning)
        self._checked.update(groups)

    def retry_for(self, endpoint: Endpoint) -> RetryPolicy:
        """The run's retry policy, with the circuit breaker of ``endpoint``'s (base URL, model)."""
        key = (endpoint.base_url, endpoint.model)
        with self._lock:
            if key not in self._retries:
                self._retries[key] = dataclasses.replace(self.retry, observer=CircuitBreaker(endpoint))
            return self._retries[key]

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

    def run(self, tasks: Iterable[tuple[K, Callable[[], R]]]) -> Generator[Finished[K, R], None, None]:
        """``run_tasks`` with this run's concurrency, rate limit and stop signal."""
        return run_tasks(tasks, concurrency=self.api.concurrency, limiter=self._limiter, stop=self.stop)

    def close(self) -> None:
        """Close the clients, unless a stopped run left requests running on them:
        closing their sockets would leave those requests hanging until their timeout."""
        abandoned = abandoned_tasks()
        if abandoned:
            logger.debug("leaving the API clients open: %d abandoned requests still use them", abandoned)
            return
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
        # closing(): on an error in this loop (a full disk) the runner stops at once,
        # not whenever the traceback holding it is freed.
        with closing(connections.run(tasks)) as finished_tasks:
            for finished in finished_tasks:
                row = finished.value
                logs[finished.key].append([row])
                result.record(finished.key, row)
                bar.advance(failed=row.get("error_type") is not None)
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
