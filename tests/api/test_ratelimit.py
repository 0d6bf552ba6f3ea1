"""The requests-per-minute token bucket, on a fake clock."""

from __future__ import annotations

import threading

import pytest

from cje.api.ratelimit import RateLimiter


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def test_requests_are_spaced_at_the_rate() -> None:
    clock = FakeClock()
    limiter = RateLimiter(60, clock=clock, sleep=clock.sleep)
    assert limiter.try_acquire() == 0.0
    assert limiter.try_acquire() == pytest.approx(1.0)
    clock.now += 0.25
    assert limiter.try_acquire() == pytest.approx(0.75)
    clock.now += 0.75
    assert limiter.try_acquire() == 0.0


def test_acquire_sleeps_until_a_token_is_there() -> None:
    clock = FakeClock()
    limiter = RateLimiter(120, clock=clock, sleep=clock.sleep)
    for _ in range(5):
        limiter.acquire()
    assert clock.now - 100.0 == pytest.approx(2.0)  # 4 waits of 0.5 s


def test_burst_allows_that_many_at_once_then_refills_to_no_more() -> None:
    clock = FakeClock()
    limiter = RateLimiter(60, burst=3, clock=clock, sleep=clock.sleep)
    assert [limiter.try_acquire() for _ in range(4)] == [0.0, 0.0, 0.0, pytest.approx(1.0)]
    clock.now += 3600  # a long pause does not bank more than the burst
    assert [limiter.try_acquire() == 0.0 for _ in range(4)] == [True, True, True, False]


def test_threads_share_the_tokens_exactly() -> None:
    clock = FakeClock()  # frozen: no refill during the test
    limiter = RateLimiter(60, burst=50, clock=clock, sleep=clock.sleep)
    granted: list[int] = []

    def worker() -> None:
        granted.append(sum(limiter.try_acquire() == 0.0 for _ in range(100)))

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(granted) == 50


@pytest.mark.parametrize(("rpm", "burst"), [(0, 1), (-5, 1), (float("inf"), 1), (60, 0)])
def test_invalid_settings_are_refused(rpm: float, burst: int) -> None:
    with pytest.raises(ValueError):
        RateLimiter(rpm, burst=burst)
