"""The simulator's request handling, and the threaded HTTP/1.1 server around it.

``SimulatorApp.handle`` takes a method, path, body and Authorization header
and returns a :class:`Reply`, independent of HTTP plumbing. API requests
(``/v1/models``, chat and completions) go through latency, access checks and
fault injection before any work, so a failed request changes no state (no
draw counted, no prompt served). Control requests (``/v1/simulator/...``) do
not.

One thread per connection (``ThreadingHTTPServer``); replies always carry a
``Content-Length`` so connections can be reused. Stopping closes the
listening socket and every open connection, so no thread is left waiting on
an idle keep-alive client.
"""

from __future__ import annotations

import json
import logging
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Literal

from cje.io.atomic import write_json_atomic
from cje.simulator.config import Router, SimulatorConfig
from cje.simulator.control import ControlEndpoints, RequestStats, ServedTruth
from cje.simulator.endpoints import BAD_JUDGE_REPLY, ApiEndpoints, DrawCounter
from cje.simulator.faults import Fault, FaultInjector
from cje.simulator.protocol import ApiError, chat_choice, chat_completion, parse_json_body
from cje.simulator.world_view import WorldView
from cje.world.truth import population_truth

logger = logging.getLogger(__name__)


# ---- request handling --------------------------------------------------------


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


# ---- HTTP plumbing -----------------------------------------------------------


class SimulatorHandler(BaseHTTPRequestHandler):
    """Reads one request, asks the app, writes its reply."""

    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes; without TCP_NODELAY the second
    # waits for the client's delayed ACK (about 40 ms on Linux).
    disable_nagle_algorithm = True
    server_version = "cje-simulator/1"
    # An idle keep-alive connection is closed after this many seconds.
    timeout = 60
    server: SimulatorHTTPServer

    def setup(self) -> None:
        super().setup()
        self.server.track(self.connection)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.untrack(self.connection)

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def _serve(self) -> None:
        body = self._read_body()
        if body is None:
            return
        try:
            reply = self.server.app.handle(self.command, self.path, body, self.headers.get("Authorization"))
        except Exception:  # the boundary: a bug must reach the client as a 500, not a hang-up
            logger.exception("internal error serving %s %s", self.command, self.path)
            reply = error_reply(ApiError(500, "Internal simulator error.", type="server_error"))
        self._write(reply)

    def _read_body(self) -> bytes | None:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            self._write(error_reply(ApiError(411, "Send a Content-Length, not a chunked body.")))
            self.close_connection = True
            return None
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if not 0 <= length <= self.server.app.config.max_body_bytes:
            self._write(error_reply(ApiError(413, "Missing, invalid or too large Content-Length.")))
            self.close_connection = True
            return None
        return self.rfile.read(length)

    def _write(self, reply: Reply) -> None:
        if reply.action == "drop":
            self.close_connection = True
            return
        self.send_response(reply.status)
        for name, value in reply.headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(reply.body)))
        if reply.action == "truncate":
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        sent = reply.body if reply.action == "send" else reply.body[: len(reply.body) // 2]
        self.wfile.write(sent)
        self.wfile.flush()

    def log_message(self, format: str, *args: object) -> None:
        logger.debug("%s - %s", self.address_string(), format % args)


class SimulatorHTTPServer(ThreadingHTTPServer):
    """A threaded server that knows its open connections."""

    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], app: SimulatorApp) -> None:
        self.app = app
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        super().__init__(address, SimulatorHandler)

    def track(self, connection: socket.socket) -> None:
        with self._connections_lock:
            self._connections.add(connection)

    def untrack(self, connection: socket.socket) -> None:
        with self._connections_lock:
            self._connections.discard(connection)

    def close_connections(self) -> None:
        """Shut down every open connection, waking threads blocked on a read."""
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError as error:  # already closed by the client or by its thread
                logger.debug("closing a connection: %s", error)

    def handle_error(self, request: object, client_address: object) -> None:
        # Clients that hang up (or are hung up on at shutdown) are routine;
        # anything else is a bug worth a traceback.
        error = sys.exc_info()[1]
        if isinstance(error, OSError):
            logger.debug("connection from %s ended: %s", client_address, error)
        else:
            logger.error("connection from %s failed", client_address, exc_info=True)


class RunningSimulator:
    """A simulator serving in a background thread until :meth:`stop`."""

    def __init__(self, config: SimulatorConfig) -> None:
        self.app = SimulatorApp(config)
        self._server = SimulatorHTTPServer((config.host, config.port), self.app)
        self.host, self.port = self._server.server_address[:2]
        self._thread = threading.Thread(target=self._server.serve_forever, name="cje-simulator",
                                        kwargs={"poll_interval": 0.1}, daemon=True)
        self._stopped = False

    @property
    def base_url(self) -> str:
        """The OpenAI base URL, e.g. ``http://127.0.0.1:8000/v1``."""
        return f"http://{self.host!s}:{self.port}/v1"

    def start(self) -> RunningSimulator:
        self._thread.start()
        logger.info("cje simulator listening on %s", self.base_url)
        return self

    def stop(self) -> None:
        """Stop serving, close every connection and write the truth file."""
        if self._stopped:
            return
        self._stopped = True
        if self._thread.is_alive():
            self._server.shutdown()
            self._thread.join()
        self._server.server_close()
        self._server.close_connections()
        if self.app.config.truth_file is not None:
            self.app.truth_report()

    def __enter__(self) -> RunningSimulator:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


@contextmanager
def run_simulator(config: SimulatorConfig) -> Iterator[RunningSimulator]:
    """Serve ``config`` in a background thread for the ``with`` block."""
    simulator = RunningSimulator(config).start()
    try:
        yield simulator
    finally:
        simulator.stop()
