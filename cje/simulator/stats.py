"""Counts of API requests, for tests that check exact attempt counts."""

from __future__ import annotations

import threading
from collections import Counter


class RequestStats:
    """Requests counted by path, by model, by injected fault and by status.

    Only API requests count (``/v1/models``, chat and completions), not the
    simulator's own control endpoints. A dropped connection has no status.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._reset_counters()

    def _reset_counters(self) -> None:
        self._total = 0
        self._paths: Counter[str] = Counter()
        self._models: Counter[str] = Counter()
        self._faults: Counter[str] = Counter()
        self._statuses: Counter[str] = Counter()

    def request(self, path: str, model: str | None) -> None:
        with self._lock:
            self._total += 1
            self._paths[path] += 1
            if model is not None:
                self._models[model] += 1

    def fault(self, kind: str) -> None:
        with self._lock:
            self._faults[kind] += 1

    def status(self, status: int) -> None:
        with self._lock:
            self._statuses[str(status)] += 1

    def reset(self) -> None:
        with self._lock:
            self._reset_counters()

    def snapshot(self) -> dict[str, object]:
        with self._lock:
            return {
                "requests": self._total,
                "by_path": dict(self._paths),
                "by_model": dict(self._models),
                "by_fault": dict(self._faults),
                "by_status": dict(self._statuses),
            }
