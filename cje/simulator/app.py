"""The simulator's request handling, independent of HTTP plumbing.

``SimulatorApp.handle`` takes a method, path, body and Authorization header
and returns a :class:`Reply`. API requests (``/v1/models``, chat and
completions) go through latency, access checks and fault injection before any
work, so a failed request changes no state (no draw counted, no prompt
served). Control requests (``/v1/simulator/...``) do not.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from cje.io.atomic import write_json_atomic
from cje.simulator.config import SimulatorConfig
from cje.simulator.control import ControlEndpoints
from cje.simulator.endpoints import ApiEndpoints
from cje.simulator.faults import Fault, FaultInjector
from cje.simulator.generation import DrawCounter
from cje.simulator.parsing import parse_json_body
from cje.simulator.protocol import ApiError, chat_choice, chat_completion
from cje.simulator.routes import Router
from cje.simulator.scoring import BAD_JUDGE_REPLY
from cje.simulator.served import ServedTruth
from cje.simulator.stats import RequestStats
from cje.simulator.world_view import WorldView
from cje.world.truth import population_truth

CHAT_PATH = "/v1/chat/completions"
CONTROL_PREFIX = "/v1/simulator/"


@dataclass(frozen=True)
class Reply:
    """What to send back. ``action`` is ``"send"`` (the whole reply), ``"drop"``
    (close the connection, send nothing) or ``"truncate"`` (send the headers,
    with the full ``Content-Length``, and half of ``body``, then close)."""

    status: int
    body: bytes = b""
    headers: tuple[tuple[str, str], ...] = ()
    action: Literal["send", "drop", "truncate"] = "send"


def json_reply(status: int, value: object, headers: tuple[tuple[str, str], ...] = ()) -> Reply:
    body = json.dumps(value, ensure_ascii=False, allow_nan=False).encode("utf-8")
    return Reply(status, body, (("Content-Type", "application/json"), *headers))


def error_reply(error: ApiError) -> Reply:
    return json_reply(error.status, error.body(), tuple(error.headers.items()))


class SimulatorApp:
    """All state of one simulator: its world, counters, faults and truth."""

    def __init__(self, config: SimulatorConfig) -> None:
        self.config = config
        self.router = Router(config)
        self.view = WorldView(config.world, config.seed, cache_size=config.prompt_cache_size)
        self.faults = FaultInjector(config.faults)
        self.stats = RequestStats()
        self.served = ServedTruth(config.world.policies)
        self.draws = DrawCounter()
        self._population: dict[str, float] | None = None
        self._population_lock = threading.Lock()
        self.api = ApiEndpoints(self)
        self.control = ControlEndpoints(self)

    def handle(self, method: str, path: str, body: bytes, authorization: str | None) -> Reply:
        path = path.split("?", 1)[0].rstrip("/") or "/"
        try:
            if path.startswith(CONTROL_PREFIX):
                return json_reply(200, self.control.handle(method, path, body))
            endpoint = self.api.endpoint(method, path)
            return self._api_request(path, endpoint, body, authorization)
        except ApiError as error:
            return error_reply(error)

    def _api_request(
        self, path: str, endpoint: Callable[[dict[str, object]], dict[str, object]],
        body: bytes, authorization: str | None,
    ) -> Reply:
        parsed = _parse_later(body)
        model = parsed.get("model") if isinstance(parsed, dict) else None
        model = model if isinstance(model, str) else None
        self.stats.request(path, model)
        reply = self._api_reply(path, endpoint, parsed, model, authorization)
        if reply.action != "drop":
            self.stats.status(reply.status)
        return reply

    def _api_reply(
        self, path: str, endpoint: Callable[[dict[str, object]], dict[str, object]],
        parsed: dict[str, object] | ApiError, model: str | None, authorization: str | None,
    ) -> Reply:
        delay = self.faults.latency()
        if delay > 0:
            time.sleep(delay)  # no lock is held here: requests wait in parallel
        try:
            self._check_access(authorization)
            is_scorer = path == CHAT_PATH and model is not None and self.router.scorer(model) is not None
            fault = self.faults.next_fault(path, model, is_scorer)
            if fault is not None:
                self.stats.fault(fault.kind)
                reply = self._fault_reply(fault, model or "unknown")
                if reply is not None:
                    return reply
            if isinstance(parsed, ApiError):
                raise parsed
            return json_reply(200, endpoint(parsed))
        except ApiError as error:
            return error_reply(error)

    def _check_access(self, authorization: str | None) -> None:
        key = self.config.faults.require_api_key
        if key is not None and authorization != f"Bearer {key}":
            raise ApiError(401, "Incorrect API key provided (simulated).", code="invalid_api_key")
        if self.config.faults.quota_exhausted:
            raise quota_error()

    def _fault_reply(self, fault: Fault, model: str) -> Reply | None:
        if fault.kind == "slow":
            delay_ms = self.config.faults.slow_ms if fault.delay_ms is None else fault.delay_ms
            time.sleep(delay_ms / 1000.0)
            return None  # a slow reply is otherwise a normal one
        if fault.kind == "drop":
            return Reply(0, action="drop")
        if fault.kind == "truncate":
            full = json_reply(200, chat_completion(model, [chat_choice(0, "", "stop")], 0, 0))
            return Reply(200, full.body, full.headers, action="truncate")
        if fault.kind == "bad_judge":
            return json_reply(200, chat_completion(model, [chat_choice(0, BAD_JUDGE_REPLY, "stop")], 0, 0))
        if fault.kind == "quota":
            return error_reply(quota_error())
        return error_reply(status_error(int(fault.kind), fault.retry_after, self.config.faults.retry_after))

    def population(self) -> dict[str, float]:
        """Each policy's value over the world's prompt distribution, computed once."""
        with self._population_lock:
            if self._population is None:
                self._population = population_truth(
                    self.config.world, n_prompts=self.config.population_prompts
                )
            return dict(self._population)

    def truth_report(self) -> dict[str, object]:
        """True values over the prompts served and over the population; also
        written to the configured truth file."""
        served = self.served.report()
        report = {
            "source": "cje simulator",
            "seed": self.config.seed,
            **served,
            # The key the statistical simulator's truth.json uses for the same thing.
            "sample": served["served"],
            "population": self.population(),
            "population_prompts": self.config.population_prompts,
            "temperatures": {b.name: b.temperature for b in self.config.world.behaviours},
        }
        if self.config.truth_file is not None:
            write_json_atomic(self.config.truth_file, report)
        return report


def _parse_later(body: bytes) -> dict[str, object] | ApiError:
    # A malformed body is reported only after latency and faults, as a real
    # gateway rate-limits before it reads the request.
    if not body:
        return {}
    try:
        return parse_json_body(body)
    except ApiError as error:
        return error


def quota_error() -> ApiError:
    return ApiError(
        429,
        "You exceeded your current quota, please check your plan and billing details (simulated).",
        type="insufficient_quota",
        code="insufficient_quota",
    )


def status_error(status: int, retry_after: float | None, default_retry_after: float) -> ApiError:
    """The error reply of a status fault; a 429 says when to retry."""
    if status == 429:
        wait = default_retry_after if retry_after is None else retry_after
        headers = {"Retry-After": _seconds(wait), "retry-after-ms": _seconds(wait * 1000.0)}
        return ApiError(429, f"Rate limit reached (simulated). Please try again in {wait:g}s.",
                        type="requests", code="rate_limit_exceeded", headers=headers)
    if status >= 500:
        return ApiError(status, "The server had an error while processing your request (simulated).",
                        type="server_error")
    return ApiError(status, f"Simulated error {status}.")


def _seconds(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"
