"""Run independent API tasks with a bounded number in flight.

Tasks run on a thread pool (the openai client is thread-safe); results come
back in completion order so the caller can save each one at once. On Ctrl-C no
new task starts, results that already finished are still handed over, then the
``KeyboardInterrupt`` propagates; tasks in flight are abandoned, and retry
sleeps that use ``StopSignal.sleep`` wake up and give up.

Abandoned tasks are remembered (``abandoned_tasks``) for two reasons: their
client must not be closed under them (closing a socket another thread is
reading leaves that read hanging until the request timeout), and a command
that ends should not wait for requests whose results nobody will read.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Generator, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from cje.api.errors import Stopped
from cje.api.ratelimit import RateLimiter

logger = logging.getLogger(__name__)

_POLL_SECONDS = 0.5

K = TypeVar("K")
R = TypeVar("R")

_abandoned: set[Future[Any]] = set()
_abandoned_lock = threading.Lock()


def abandoned_tasks() -> int:
    """How many tasks a stopped run left running (their threads end when their request does)."""
    with _abandoned_lock:
        _abandoned.difference_update([f for f in _abandoned if f.done()])
        return len(_abandoned)


def _abandon(futures: Iterable[Future[R]]) -> None:
    running = [f for f in futures if not f.done()]
    with _abandoned_lock:
        _abandoned.update(running)


class StopSignal:
    """Set once to ask running work to stop. Pass ``signal.sleep`` as a
    ``RetryPolicy``'s sleep so that waiting retries end at once on Ctrl-C."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def set(self) -> None:
        self._event.set()

    def is_set(self) -> bool:
        return self._event.is_set()

    def sleep(self, seconds: float) -> None:
        """Sleep ``seconds``, or raise ``Stopped`` as soon as the signal is set."""
        if self._event.wait(seconds):
            raise Stopped("stop requested")
        # Also covers a stop that came before a zero-second sleep.
        if self._event.is_set():
            raise Stopped("stop requested")


@dataclass(frozen=True)
class Finished(Generic[K, R]):
    """One task's key and the value its callable returned."""

    key: K
    value: R


def run_tasks(
    tasks: Iterable[tuple[K, Callable[[], R]]],
    *,
    concurrency: int,
    limiter: RateLimiter | None = None,
    stop: StopSignal | None = None,
) -> Generator[Finished[K, R], None, None]:
    """Run ``(key, callable)`` tasks with at most ``concurrency`` in flight and
    yield each ``Finished`` as soon as it completes.

    ``tasks`` is consumed lazily. ``limiter`` is consulted once per task start.
    A task that raises stops the run: nothing new starts, the tasks in flight
    are waited for and their results yielded, then the exception propagates.
    Tasks should therefore catch their expected failures (``RequestFailed``)
    and return them as values.

    On ``KeyboardInterrupt`` while the runner waits, ``stop`` is set, tasks that
    already finished are still yielded, then the interrupt propagates; tasks in
    flight are abandoned (their threads end when their request does, or at once
    if they sleep on ``stop``). If the consumer stops iterating (its own loop
    body is interrupted, or it breaks), ``stop`` is set the same way; results
    that completed together with the last one yielded may then be dropped like
    in-flight ones, since they were never handed over.
    """
    if concurrency < 1:
        raise ValueError(f"concurrency must be at least 1, got {concurrency}")
    runner = _Runner(iter(tasks), concurrency, limiter, stop or StopSignal())
    return runner.run()


class _Runner(Generic[K, R]):
    def __init__(
        self,
        tasks: Iterator[tuple[K, Callable[[], R]]],
        concurrency: int,
        limiter: RateLimiter | None,
        stop: StopSignal,
    ) -> None:
        self._tasks = tasks
        self._concurrency = concurrency
        self._limiter = limiter
        self._stop = stop
        self._in_flight: dict[Future[R], K] = {}
        self._next: tuple[K, Callable[[], R]] | None = None
        self._pool = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="cje-api")

    def run(self) -> Generator[Finished[K, R], None, None]:
        finished_cleanly = False
        try:
            yield from self._loop()
            finished_cleanly = True
        except KeyboardInterrupt:
            logger.warning("interrupted: starting no new task, abandoning %d in flight", len(self._in_flight))
            self._stop.set()
            yield from self._collect(list(self._in_flight))
            raise
        finally:
            if not finished_cleanly:
                self._stop.set()
                _abandon(self._in_flight)
            # Never wait here: abandoned requests end on their own (timeout or stop).
            self._pool.shutdown(wait=False, cancel_futures=True)

    def _loop(self) -> Iterator[Finished[K, R]]:
        while True:
            delay = self._fill()
            if not self._in_flight:
                if self._next is None:
                    return  # no task waiting and none running: all done
                # Only the limiter holds the next task back, and nothing else can
                # finish meanwhile: block on it, then start the task.
                self._limiter.acquire()  # type: ignore[union-attr]
                self._start(self._next)
                continue
            # Wake up now and then even with nothing done, so a Ctrl-C that the
            # OS delivered to a worker thread is still acted on promptly.
            timeout = min(delay, _POLL_SECONDS) if delay else _POLL_SECONDS
            done, _ = wait(self._in_flight, timeout=timeout, return_when=FIRST_COMPLETED)
            yield from self._finish(done)

    def _fill(self) -> float:
        """Start tasks until the window is full; returns how long the limiter wants us to wait (0 if not)."""
        while len(self._in_flight) < self._concurrency:
            if self._next is None:
                self._next = next(self._tasks, None)
                if self._next is None:
                    return 0.0
            if self._limiter is not None:
                delay = self._limiter.try_acquire()
                if delay > 0.0:
                    return delay
            self._start(self._next)
        return 0.0

    def _start(self, task: tuple[K, Callable[[], R]]) -> None:
        key, call = task
        self._next = None
        self._in_flight[self._pool.submit(call)] = key

    def _finish(self, done: set[Future[R]]) -> Iterator[Finished[K, R]]:
        error = next((f.exception() for f in done if f.exception() is not None), None)
        yield from self._collect(done)
        if error is not None:
            logger.error("a task raised; waiting for %d in flight, then stopping", len(self._in_flight))
            self._stop.set()
            remaining = list(self._in_flight)
            wait(remaining)
            yield from self._collect(remaining)
            raise error

    def _collect(self, futures: Iterable[Future[R]]) -> Iterator[Finished[K, R]]:
        """Hand over every finished, successful future among ``futures`` and
        forget the finished ones; a failed one's exception is handled by the caller."""
        for future in futures:
            if not future.done():
                continue
            key = self._in_flight.pop(future)
            if not future.cancelled() and future.exception() is None:
                yield Finished(key, future.result())
