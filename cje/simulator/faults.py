"""Fault injection: which requests fail, and how.

Two sources of faults, checked in this order for each API request:

* a queue of *scheduled* faults (``POST /v1/simulator/faults``), each applied
  to exactly one request that matches its optional path and model filters
  (first matching fault in the queue wins) - for tests that count attempts;
* random faults at configured rates, drawn from one seeded generator: at most
  one per request, chosen by a single uniform draw against the cumulative
  rates, so rates add up and must total at most 1.

Fault kinds: an HTTP status (``"400"`` ... ``"599"``; ``"429"`` carries a
``Retry-After``), ``"quota"`` (429 ``insufficient_quota``, no Retry-After),
``"drop"`` (close the connection without a reply), ``"truncate"`` (send part
of a JSON body, then close), ``"slow"`` (wait, then answer normally) and
``"bad_judge"`` (a 200 whose content is not JSON; it applies to judge and
oracle requests only, and a scheduled one waits for such a request).
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass

import numpy as np

from cje.errors import CJEError

SPECIAL_KINDS = ("quota", "drop", "truncate", "slow", "bad_judge")
SERVER_ERRORS = ("500", "502", "503")


class FaultSpecError(CJEError):
    """A fault description or fault configuration is invalid."""


@dataclass(frozen=True)
class FaultConfig:
    """Random fault rates (each a fraction of API requests), the latency every
    API request gets, and the access rules.

    Latency is ``latency_ms`` plus a uniform draw on [0, ``latency_jitter_ms``].
    ``require_api_key`` makes every API request without ``Authorization:
    Bearer <key>`` a 401; ``quota_exhausted`` makes every one a 429
    ``insufficient_quota``.
    """

    rate_429: float = 0.0
    retry_after: float = 1.0
    rate_5xx: float = 0.0
    rate_drop: float = 0.0
    rate_truncate: float = 0.0
    rate_slow: float = 0.0
    slow_ms: float = 2000.0
    rate_bad_judge: float = 0.0
    latency_ms: float = 0.0
    latency_jitter_ms: float = 0.0
    require_api_key: str | None = None
    quota_exhausted: bool = False
    seed: int = 0

    def __post_init__(self) -> None:
        rates = self.rates()
        for kind, rate in rates:
            if not 0.0 <= rate <= 1.0:
                raise FaultSpecError(f"the {kind} rate must be in [0, 1], got {rate}")
        if sum(rate for _, rate in rates) > 1.0 + 1e-12:
            raise FaultSpecError("fault rates add up to more than 1")
        for name in ("retry_after", "slow_ms", "latency_ms", "latency_jitter_ms"):
            if getattr(self, name) < 0:
                raise FaultSpecError(f"{name} must be non-negative")

    def rates(self) -> tuple[tuple[str, float], ...]:
        return (
            ("429", self.rate_429), ("5xx", self.rate_5xx), ("drop", self.rate_drop),
            ("truncate", self.rate_truncate), ("slow", self.rate_slow),
            ("bad_judge", self.rate_bad_judge),
        )


@dataclass(frozen=True)
class Fault:
    """One fault to apply to one request.

    ``retry_after`` (seconds) is for 429s, ``delay_ms`` for slow replies;
    ``path`` and ``model``, when set, restrict which requests it applies to.
    """

    kind: str
    retry_after: float | None = None
    delay_ms: float | None = None
    path: str | None = None
    model: str | None = None

    @property
    def status(self) -> int | None:
        """The HTTP status of an error fault, else None."""
        return int(self.kind) if self.kind.isdigit() else (429 if self.kind == "quota" else None)

    def matches(self, path: str, model: str | None, is_scorer: bool) -> bool:
        if self.path is not None and self.path != path:
            return False
        if self.model is not None and self.model != model:
            return False
        return is_scorer or self.kind != "bad_judge"


def parse_fault_specs(specs: object) -> list[Fault]:
    """Faults from the JSON list of ``POST /v1/simulator/faults``. Each entry
    may carry ``count`` (default 1) to stand for that many identical faults."""
    if not isinstance(specs, list):
        raise FaultSpecError("faults must be a JSON list")
    faults: list[Fault] = []
    for spec in specs:
        if not isinstance(spec, dict):
            raise FaultSpecError("each fault must be a JSON object")
        fault = _parse_fault(spec)
        count = spec.get("count", 1)
        if isinstance(count, bool) or not isinstance(count, int) or count < 1:
            raise FaultSpecError("a fault's count must be a positive integer")
        faults.extend([fault] * count)
    return faults


def _parse_fault(spec: dict[str, object]) -> Fault:
    unknown = set(spec) - {"kind", "retry_after", "delay_ms", "path", "model", "count"}
    if unknown:
        raise FaultSpecError(f"unknown fault fields: {sorted(unknown)}")
    kind = spec.get("kind")
    if not isinstance(kind, str) or not _known_kind(kind):
        raise FaultSpecError(f"unknown fault kind {kind!r}; use a 4xx/5xx status or one of {SPECIAL_KINDS}")
    return Fault(
        kind=kind,
        retry_after=_optional_number(spec, "retry_after"),
        delay_ms=_optional_number(spec, "delay_ms"),
        path=_optional_string(spec, "path"),
        model=_optional_string(spec, "model"),
    )


def _known_kind(kind: str) -> bool:
    return kind in SPECIAL_KINDS or (kind.isdigit() and len(kind) == 3 and 400 <= int(kind) <= 599)


def _optional_number(spec: dict[str, object], name: str) -> float | None:
    value = spec.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
        raise FaultSpecError(f"a fault's {name} must be a non-negative number")
    return float(value)


def _optional_string(spec: dict[str, object], name: str) -> str | None:
    value = spec.get(name)
    if value is not None and not isinstance(value, str):
        raise FaultSpecError(f"a fault's {name} must be a string")
    return value


class FaultInjector:
    """Decides each request's fault and latency; safe to share across threads."""

    def __init__(self, config: FaultConfig) -> None:
        self.config = config
        self._rng = np.random.default_rng(config.seed)
        self._queue: deque[Fault] = deque()
        self._lock = threading.Lock()

    def schedule(self, faults: list[Fault]) -> int:
        """Queue ``faults``; returns how many are now pending."""
        with self._lock:
            self._queue.extend(faults)
            return len(self._queue)

    def pending(self) -> int:
        with self._lock:
            return len(self._queue)

    def clear(self) -> None:
        with self._lock:
            self._queue.clear()

    def next_fault(self, path: str, model: str | None, is_scorer: bool) -> Fault | None:
        """The fault for this request, if any (consumes a scheduled one)."""
        with self._lock:
            for fault in self._queue:
                if fault.matches(path, model, is_scorer):
                    self._queue.remove(fault)
                    return fault
            u, v = self._rng.random(2)
        return self._random_fault(float(u), float(v), is_scorer)

    def _random_fault(self, u: float, v: float, is_scorer: bool) -> Fault | None:
        cumulative = 0.0
        for kind, rate in self.config.rates():
            cumulative += rate
            if u < cumulative:
                if kind == "5xx":
                    return Fault(SERVER_ERRORS[min(int(v * 3), 2)])
                if kind == "bad_judge" and not is_scorer:
                    return None
                return Fault(kind)
        return None

    def latency(self) -> float:
        """Seconds to wait before answering an API request."""
        config = self.config
        if config.latency_ms == 0 and config.latency_jitter_ms == 0:
            return 0.0
        with self._lock:
            jitter = float(self._rng.random()) * config.latency_jitter_ms
        return (config.latency_ms + jitter) / 1000.0
