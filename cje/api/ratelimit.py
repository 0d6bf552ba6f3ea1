"""A thread-safe requests-per-minute limit (token bucket)."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable


class RateLimiter:
    """At most ``requests_per_minute`` on average, and at most ``burst`` at once.

    The bucket holds up to ``burst`` tokens and refills continuously at
    ``requests_per_minute / 60`` tokens per second; it starts full. The default
    burst of 1 spaces requests evenly, which is what per-minute provider limits
    tolerate best. ``clock`` (monotonic seconds) and ``sleep`` are injectable.
    """

    def __init__(
        self,
        requests_per_minute: float,
        *,
        burst: int = 1,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if not (math.isfinite(requests_per_minute) and requests_per_minute > 0):
            raise ValueError(f"requests_per_minute must be > 0, got {requests_per_minute}")
        if burst < 1:
            raise ValueError(f"burst must be at least 1, got {burst}")
        self._rate = requests_per_minute / 60.0
        self._capacity = float(burst)
        self._tokens = float(burst)
        self._clock = clock
        self._sleep = sleep
        self._updated = clock()
        self._lock = threading.Lock()

    def try_acquire(self) -> float:
        """Take a token if one is there and return 0.0; otherwise take nothing
        and return the seconds until a token will be available."""
        with self._lock:
            now = self._clock()
            elapsed = max(0.0, now - self._updated)
            self._tokens = min(self._capacity, self._tokens + elapsed * self._rate)
            self._updated = now
            if self._tokens >= 1.0:
                self._tokens -= 1.0
                return 0.0
            return (1.0 - self._tokens) / self._rate

    def acquire(self) -> None:
        """Block until a token is available, then take it."""
        while (delay := self.try_acquire()) > 0.0:
            self._sleep(delay)
