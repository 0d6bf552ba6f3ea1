"""run_tasks: bounded concurrency, completion order, errors and Ctrl-C."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Callable, Iterator
from itertools import pairwise

import pytest

from cje.api.client import chat
from cje.api.concurrency import Finished, StopSignal, abandoned_tasks, run_tasks
from cje.api.errors import MalformedResponse, Stopped
from cje.api.ratelimit import RateLimiter
from cje.api.retry import RetryPolicy
from tests.api.api_helpers import RecordingSleep, client_for, policy
from tests.api.fault_server import FaultServer


class Probe:
    """Tasks that record when they start and how many run at once."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.started: list[int] = []
        self.running = 0
        self.peak = 0

    def task(self, key: int, seconds: float, action: Callable[[], None] | None = None) -> Callable[[], int]:
        def run() -> int:
            with self.lock:
                self.started.append(key)
                self.running += 1
                self.peak = max(self.peak, self.running)
            try:
                if action is not None:
                    action()
                time.sleep(seconds)
                return key * 10
            finally:
                with self.lock:
                    self.running -= 1

        return run


def test_every_task_runs_once_with_at_most_c_in_flight() -> None:
    probe = Probe()
    tasks = [(k, probe.task(k, 0.02)) for k in range(40)]
    results = list(run_tasks(tasks, concurrency=4))
    assert sorted(r.key for r in results) == list(range(40))
    assert all(r.value == r.key * 10 for r in results)
    assert probe.peak == 4


def test_results_arrive_in_completion_order() -> None:
    probe = Probe()
    tasks = [(0, probe.task(0, 0.3)), (1, probe.task(1, 0.0)), (2, probe.task(2, 0.1))]
    assert [r.key for r in run_tasks(tasks, concurrency=3)] == [1, 2, 0]


def test_tasks_are_consumed_lazily() -> None:
    pulled: list[int] = []

    def tasks() -> Iterator[tuple[int, Callable[[], int]]]:
        for k in range(100):
            pulled.append(k)
            yield k, (lambda k=k: k)

    runner = run_tasks(tasks(), concurrency=3)
    next(runner)
    assert len(pulled) <= 4
    runner.close()


def test_http_requests_overlap_up_to_the_limit(sleep: RecordingSleep) -> None:
    with FaultServer(latency=0.1) as server:
        client = client_for(server, max_connections=16)

        def call(i: int) -> Callable[[], str]:
            return lambda: chat(client, model="m", messages=[{"role": "user", "content": str(i)}],
                                temperature=0.0, max_tokens=8, retry=policy(sleep)).text

        started = time.perf_counter()
        results = list(run_tasks(((i, call(i)) for i in range(64)), concurrency=16))
        elapsed = time.perf_counter() - started
        assert server.max_in_flight <= 16
    assert sorted(r.value for r in results) == sorted(f"echo: {i}" for i in range(64))
    assert elapsed < 2.0  # 64 x 0.1 s would take 6.4 s one at a time; ideal is 0.4 s


def test_a_raising_task_stops_new_starts_and_finished_results_are_still_yielded() -> None:
    probe = Probe()

    def fail() -> None:
        raise RuntimeError("bug in a task")

    tasks = [(0, probe.task(0, 0.2)), (1, probe.task(1, 0.0, fail))] + [(k, probe.task(k, 0.0)) for k in range(2, 20)]
    stop = StopSignal()
    yielded: list[int] = []
    with pytest.raises(RuntimeError, match="bug in a task"):
        for result in run_tasks(tasks, concurrency=2, stop=stop):
            yielded.append(result.key)
    assert 0 in yielded  # in flight when task 1 failed: waited for and handed over
    assert len(probe.started) <= 3
    assert stop.is_set()


def test_ctrl_c_starts_nothing_new_and_hands_over_what_finished() -> None:
    probe = Probe()

    def interrupt() -> None:
        time.sleep(0.05)  # let task 0 finish first
        os.kill(os.getpid(), signal.SIGINT)

    tasks = [(0, probe.task(0, 0.0)), (1, probe.task(1, 0.5, interrupt))]
    tasks += [(k, probe.task(k, 0.0)) for k in range(2, 50)]
    stop = StopSignal()
    yielded: list[Finished[int, int]] = []
    began = time.perf_counter()
    with pytest.raises(KeyboardInterrupt):
        for result in run_tasks(tasks, concurrency=2, stop=stop):
            yielded.append(result)
            time.sleep(0.01)  # slow consumer: more tasks complete before being handed over
    assert time.perf_counter() - began < 0.45  # task 1 (0.5 s) was abandoned, not awaited
    assert stop.is_set()
    started_before = set(probe.started)
    time.sleep(0.6)  # the abandoned task finishes in the background
    assert set(probe.started) == started_before
    # Every task that had finished was handed over; at most the one that was
    # finishing at the very instant of the signal may be missing.
    missing = started_before - {1} - {r.key for r in yielded}
    assert len(missing) <= 1
    assert {r.key for r in yielded} <= started_before - {1}


def test_a_consumer_that_stops_early_stops_the_run() -> None:
    probe = Probe()
    stop = StopSignal()
    runner = run_tasks([(k, probe.task(k, 0.05)) for k in range(30)], concurrency=2, stop=stop)
    first = next(runner)
    runner.close()
    time.sleep(0.15)
    assert first.key in probe.started
    assert len(probe.started) <= 4
    assert stop.is_set()


def test_tasks_left_running_by_a_stopped_run_are_counted_until_they_end() -> None:
    release = threading.Event()
    before = abandoned_tasks()
    tasks = [(0, lambda: True), (1, lambda: release.wait(5.0)), (2, lambda: release.wait(5.0))]
    runner = run_tasks(tasks, concurrency=3)
    assert next(runner).key == 0
    assert abandoned_tasks() == before  # a live run abandons nothing
    runner.close()  # its consumer failed (say, on a full disk) and closed it
    assert abandoned_tasks() == before + 2
    release.set()
    deadline = time.monotonic() + 5.0
    while abandoned_tasks() > before and time.monotonic() < deadline:
        time.sleep(0.01)
    assert abandoned_tasks() == before


def test_a_clean_run_leaves_the_stop_signal_unset() -> None:
    stop = StopSignal()
    assert [r.value for r in run_tasks([(0, lambda: 1)], concurrency=1, stop=stop)] == [1]
    assert not stop.is_set()


def test_stop_signal_sleep_raises_once_set() -> None:
    stop = StopSignal()
    stop.sleep(0.0)
    threading.Timer(0.05, stop.set).start()
    began = time.perf_counter()
    with pytest.raises(Stopped):
        stop.sleep(10.0)
    assert time.perf_counter() - began < 1.0
    with pytest.raises(Stopped):
        stop.sleep(0.0)


def test_a_retry_sleeping_on_the_stop_signal_gives_up_when_stopped() -> None:
    stop = StopSignal()
    stop.set()
    retry = RetryPolicy(max_attempts=3, sleep=stop.sleep)
    calls: list[int] = []

    def attempt() -> None:
        calls.append(1)
        raise MalformedResponse("bad")

    with pytest.raises(Stopped):
        retry.call(attempt)
    assert calls == [1]


def test_the_rate_limiter_paces_task_starts() -> None:
    starts: list[float] = []
    limiter = RateLimiter(1200)  # 20 per second, one at a time
    tasks = [(k, lambda: starts.append(time.monotonic())) for k in range(6)]
    list(run_tasks(tasks, concurrency=4, limiter=limiter))
    gaps = [b - a for a, b in pairwise(starts)]
    assert len(starts) == 6
    assert min(gaps) > 0.04
    assert starts[-1] - starts[0] < 1.0


def test_concurrency_must_be_positive() -> None:
    with pytest.raises(ValueError):
        run_tasks([], concurrency=0)
