"""The true values of the policies over the prompts the simulator has served."""

from __future__ import annotations

import math
import threading

from cje.simulator.world_view import PromptWorld


class ServedTruth:
    """Remembers each distinct prompt served to a policy, with every policy's
    expected oracle label on it (at the world policies' own temperatures).

    ``served`` in the report averages over every prompt served to any policy
    (the prompts an analysis of these data estimates over); ``served_by_policy``
    averages each policy over the prompts it was itself asked.
    """

    def __init__(self, policies: tuple[str, ...]) -> None:
        self._policies = policies
        self._values: dict[str, dict[str, float]] = {}
        self._asked: dict[str, set[str]] = {p: set() for p in policies}
        self._lock = threading.Lock()

    def record(self, policy: str, world: PromptWorld) -> None:
        with self._lock:
            known = world.prompt in self._values
        values = None if known else world.values()
        with self._lock:
            if values is not None:
                self._values.setdefault(world.prompt, values)
            self._asked[policy].add(world.prompt)

    def clear(self) -> None:
        with self._lock:
            self._values.clear()
            for asked in self._asked.values():
                asked.clear()

    def report(self) -> dict[str, object]:
        with self._lock:
            values = dict(self._values)
            asked = {p: set(s) for p, s in self._asked.items()}
        return {
            "n_prompts_served": len(values),
            "served": {p: _mean([v[p] for v in values.values()]) for p in self._policies},
            "served_by_policy": {
                p: {"value": _mean([values[q][p] for q in asked[p]]), "n_prompts": len(asked[p])}
                for p in self._policies
            },
        }


def _mean(values: list[float]) -> float | None:
    # fsum: the same value whatever order concurrent requests arrived in.
    return math.fsum(values) / len(values) if values else None
