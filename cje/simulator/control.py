"""The simulator's own endpoints under ``/v1/simulator/``: truth, stats,
scheduled faults and reset, with what they report - request counts (for
tests that check exact attempt counts) and the true values of the policies
over the prompts served. They bypass latency and fault injection and are not
counted in the stats.
"""

from __future__ import annotations

import json
import math
import threading
from collections import Counter
from typing import TYPE_CHECKING

from cje.simulator.faults import FaultSpecError, parse_fault_specs
from cje.simulator.protocol import ApiError, bad_request
from cje.simulator.world_view import PromptWorld

if TYPE_CHECKING:
    from cje.simulator.server import SimulatorApp


# ---- request counts ----------------------------------------------------------


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


# ---- the truth over the prompts served ---------------------------------------


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


# ---- the control endpoints ---------------------------------------------------


class ControlEndpoints:
    """``GET truth``, ``POST truth`` (the values over given prompts), ``GET stats``,
    ``GET|POST faults``, ``POST reset``."""

    def __init__(self, app: SimulatorApp) -> None:
        self.app = app

    def handle(self, method: str, path: str, body: bytes) -> object:
        name = path[len("/v1/simulator/"):]
        table = {
            ("GET", "truth"): lambda: self.app.truth_report(),
            ("POST", "truth"): lambda: self.prompts_truth(body),
            ("GET", "stats"): self.stats,
            ("GET", "faults"): lambda: {"pending": self.app.faults.pending()},
            ("POST", "faults"): lambda: self.schedule(body),
            ("POST", "reset"): self.reset,
        }
        action = table.get((method, name))
        if action is None:
            raise ApiError(404, f"No simulator endpoint {method} {path}.", code="unknown_url")
        return action()

    def prompts_truth(self, body: bytes) -> dict[str, object]:
        """Each policy's true value averaged over the prompts in ``body``
        (``{"prompts": [text, ...]}``), served or not: the truth of a dataset whose
        responses a previous run of the simulator generated."""
        try:
            value = json.loads(body.decode("utf-8") or "null")
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            raise bad_request(f"the body is not valid JSON: {error}") from None
        prompts = value.get("prompts") if isinstance(value, dict) else None
        if not isinstance(prompts, list) or not prompts or not all(isinstance(p, str) for p in prompts):
            raise bad_request("send {\"prompts\": [text, ...]}: a non-empty list of prompt texts", "prompts")
        values = [self.app.view.prompt(text).values() for text in dict.fromkeys(prompts)]
        policies = self.app.config.world.policies
        return {"source": "cje simulator", "seed": self.app.config.seed, "n_prompts": len(values),
                "values": {p: math.fsum(v[p] for v in values) / len(values) for p in policies}}

    def stats(self) -> dict[str, object]:
        return {**self.app.stats.snapshot(), "pending_faults": self.app.faults.pending()}

    def schedule(self, body: bytes) -> dict[str, object]:
        """Queue the faults in ``body``: a JSON list, or ``{"faults": [...]}``."""
        try:
            value = json.loads(body.decode("utf-8") or "null")
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            raise bad_request(f"the fault list is not valid JSON: {error}") from None
        if isinstance(value, dict):
            value = value.get("faults")
        try:
            faults = parse_fault_specs(value)
        except FaultSpecError as error:
            raise bad_request(str(error)) from None
        return {"scheduled": len(faults), "pending": self.app.faults.schedule(faults)}

    def reset(self) -> dict[str, object]:
        """Clear the request counts and pending faults (served prompts and
        draw counters are kept: they are the simulated world's history)."""
        self.app.stats.reset()
        self.app.faults.clear()
        return {"reset": True}
