"""HTTP plumbing: a threaded HTTP/1.1 server with keep-alive, around a
:class:`SimulatorApp`, runnable in a background thread.

One thread per connection (``ThreadingHTTPServer``); replies always carry a
``Content-Length`` so connections can be reused. Stopping closes the
listening socket and every open connection, so no thread is left waiting on
an idle keep-alive client.
"""

from __future__ import annotations

import logging
import socket
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from cje.simulator.app import Reply, SimulatorApp, error_reply
from cje.simulator.config import SimulatorConfig
from cje.simulator.protocol import ApiError

logger = logging.getLogger(__name__)


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
