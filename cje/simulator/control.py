"""The simulator's own endpoints under ``/v1/simulator/``: truth, stats,
scheduled faults and reset. They bypass latency and fault injection and are
not counted in the stats."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from cje.simulator.faults import FaultSpecError, parse_fault_specs
from cje.simulator.protocol import ApiError, bad_request

if TYPE_CHECKING:
    from cje.simulator.app import SimulatorApp


class ControlEndpoints:
    """``GET truth``, ``GET stats``, ``GET|POST faults``, ``POST reset``."""

    def __init__(self, app: SimulatorApp) -> None:
        self.app = app

    def handle(self, method: str, path: str, body: bytes) -> object:
        name = path[len("/v1/simulator/"):]
        table = {
            ("GET", "truth"): lambda: self.app.truth_report(),
            ("GET", "stats"): self.stats,
            ("GET", "faults"): lambda: {"pending": self.app.faults.pending()},
            ("POST", "faults"): lambda: self.schedule(body),
            ("POST", "reset"): self.reset,
        }
        action = table.get((method, name))
        if action is None:
            raise ApiError(404, f"No simulator endpoint {method} {path}.", code="unknown_url")
        return action()

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
