"""A scripted OpenAI-compatible HTTP server on 127.0.0.1 for tests and benchmarks.

Each request takes the next scripted ``Reply`` (all paths share one script);
when the script is empty it succeeds. Successful replies are built from the
request: chat completions answer ``"echo: <last message>"``; completions with
``echo`` return the prompt split into whitespace-led tokens with log-probs
``-0.1 * i`` (the first ``None``), plus one generated token per ``max_tokens``.

Run as a script to serve forever with a fixed latency (for benchmarks):
``python tests/api/fault_server.py --latency 0.2`` prints its base URL.
"""

from __future__ import annotations

import argparse
import json
import re
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

GENERATED = " end"


@dataclass(frozen=True)
class Reply:
    """One scripted reply: ``kind`` is "ok", "error", "raw", "drop" or "slow"."""

    kind: str
    status: int = 200
    body: object = None
    raw: bytes = b""
    headers: tuple[tuple[str, str], ...] = ()
    delay: float = 0.0


def ok() -> Reply:
    return Reply("ok")


def error(
    status: int,
    *,
    code: str | None = None,
    type: str | None = None,
    message: str = "scripted failure",
    headers: dict[str, str] | None = None,
) -> Reply:
    """An OpenAI-style error body. ``{auth}`` in ``message`` becomes the bearer token sent."""
    body = {"error": {"message": message, "type": type, "code": code, "param": None}}
    return Reply("error", status=status, body=body, headers=tuple((headers or {}).items()))


def raw(data: bytes, *, status: int = 200) -> Reply:
    """``data`` verbatim as an application/json body (for truncated or garbled JSON)."""
    return Reply("raw", status=status, raw=data)


def drop() -> Reply:
    """Close the connection without sending any response."""
    return Reply("drop")


def slow(seconds: float) -> Reply:
    """Succeed, but only after ``seconds``."""
    return Reply("slow", delay=seconds)


@dataclass(frozen=True)
class Seen:
    """A request as the server received it."""

    path: str
    body: dict
    authorization: str


@dataclass
class _State:
    latency: float
    reject_zero_max_tokens: bool
    script: list[Reply] = field(default_factory=list)
    seen: list[Seen] = field(default_factory=list)
    in_flight: int = 0
    max_in_flight: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


class FaultServer:
    """Start with ``with FaultServer() as server:``; ``server.base_url`` ends in ``/v1``."""

    def __init__(self, *, latency: float = 0.0, reject_zero_max_tokens: bool = False) -> None:
        self._state = _State(latency=latency, reject_zero_max_tokens=reject_zero_max_tokens)
        handler = type("Handler", (_Handler,), {"state": self._state})
        self._httpd = _Server(("127.0.0.1", 0), handler)
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.02,), daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}/v1"

    def script(self, *replies: Reply) -> None:
        with self._state.lock:
            self._state.script.extend(replies)

    @property
    def requests(self) -> list[Seen]:
        with self._state.lock:
            return list(self._state.seen)

    @property
    def max_in_flight(self) -> int:
        return self._state.max_in_flight

    def __enter__(self) -> FaultServer:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join()


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # the default 5 drops SYNs when many clients connect at once


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as real providers
    disable_nagle_algorithm = True  # headers and body go out in two writes: avoid 40 ms delayed-ACK stalls
    state: _State

    def log_message(self, format: str, *args: object) -> None:
        return  # keep test output clean

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", "0"))) or b"{}")
        auth = self.headers.get("Authorization", "")
        reply = self._next_reply(Seen(self.path, body, auth))
        try:
            self._serve(reply, body, auth)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the client gave up (timeout)
        finally:
            with self.state.lock:
                self.state.in_flight -= 1

    def _next_reply(self, seen: Seen) -> Reply:
        with self.state.lock:
            self.state.seen.append(seen)
            self.state.in_flight += 1
            self.state.max_in_flight = max(self.state.max_in_flight, self.state.in_flight)
            return self.state.script.pop(0) if self.state.script else ok()

    def _serve(self, reply: Reply, body: dict, auth: str) -> None:
        time.sleep(self.state.latency + reply.delay)
        if reply.kind == "drop":
            self.close_connection = True
            return
        if reply.kind == "raw":
            self._send(reply.status, reply.raw, ())
        elif reply.kind == "error":
            text = json.dumps(reply.body).replace("{auth}", auth.removeprefix("Bearer "))
            self._send(reply.status, text.encode(), reply.headers)
        else:
            status, answer = self._success(body)
            self._send(status, json.dumps(answer).encode(), ())

    def _success(self, body: dict) -> tuple[int, dict]:
        if self.path.endswith("/chat/completions"):
            return 200, _chat_answer(body)
        if self.path.endswith("/completions"):
            if body.get("max_tokens") == 0 and self.state.reject_zero_max_tokens:
                return 400, {"error": {"message": "max_tokens must be at least 1", "type": "invalid_request_error",
                                       "code": "invalid_value", "param": "max_tokens"}}
            return 200, _completion_answer(body)
        return 404, {"error": {"message": f"no route {self.path}", "type": "not_found", "code": None}}

    def _send(self, status: int, data: bytes, headers: tuple[tuple[str, str], ...]) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)


def _chat_answer(body: dict) -> dict:
    text = "echo: " + str(body["messages"][-1]["content"])
    return {
        "id": "chatcmpl-test",
        "object": "chat.completion",
        "model": body["model"],
        "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 7, "completion_tokens": 3, "total_tokens": 10},
    }


def prompt_tokens(prompt: str) -> list[str]:
    """How this server tokenises: each token is optional whitespace plus a word."""
    return re.findall(r"\s*\S+|\s+", prompt)


def _completion_answer(body: dict) -> dict:
    prompt = body["prompt"]
    tokens = prompt_tokens(prompt) + [GENERATED] * int(body.get("max_tokens") or 0)
    offsets = [sum(len(t) for t in tokens[:i]) for i in range(len(tokens))]
    logprobs = [None] + [-0.1 * i for i in range(1, len(tokens))]
    return {
        "id": "cmpl-test",
        "object": "text_completion",
        "model": body["model"],
        "choices": [{
            "index": 0,
            "text": "".join(tokens),
            "finish_reason": "length",
            "logprobs": {"tokens": tokens, "token_logprobs": logprobs, "text_offset": offsets, "top_logprobs": None},
        }],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description="Serve forever with a fixed latency.")
    parser.add_argument("--latency", type=float, default=0.2)
    args = parser.parse_args()
    server = FaultServer(latency=args.latency)
    with server:
        print(server.base_url, flush=True)
        threading.Event().wait()


if __name__ == "__main__":
    main()
