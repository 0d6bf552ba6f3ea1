"""Open a page in headless Chromium and report what it did: console errors,
uncaught exceptions, every network request, and a screenshot.

Talks the DevTools protocol over ``--remote-debugging-pipe`` (file
descriptors 3 and 4, messages ended by a NUL byte), so it needs nothing but
the standard library and a ``chromium`` binary.
"""

from __future__ import annotations

import base64
import fcntl
import json
import os
import select
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

BINARIES = ("chromium", "chromium-browser", "google-chrome")


def find_chromium() -> str | None:
    for name in BINARIES:
        found = shutil.which(name)
        if found:
            return found
    return None


@dataclass
class PageVisit:
    requests: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    exceptions: list[str] = field(default_factory=list)
    failed_loads: list[str] = field(default_factory=list)
    screenshot: bytes = b""
    loaded: bool = False


class _Pipe:
    def __init__(self, write_fd: int, read_fd: int) -> None:
        self.write_fd, self.read_fd = write_fd, read_fd
        self.buffer = b""
        self.next_id = 0

    def send(self, method: str, params: dict[str, Any] | None = None, session: str | None = None) -> int:
        self.next_id += 1
        message: dict[str, Any] = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self.write_fd, json.dumps(message).encode() + b"\0")
        return self.next_id

    def read(self, deadline: float) -> dict[str, Any] | None:
        while b"\0" not in self.buffer:
            wait = deadline - time.monotonic()
            if wait <= 0 or not select.select([self.read_fd], [], [], wait)[0]:
                return None
            chunk = os.read(self.read_fd, 1 << 16)
            if not chunk:
                return None
            self.buffer += chunk
        raw, self.buffer = self.buffer.split(b"\0", 1)
        message: dict[str, Any] = json.loads(raw)
        return message


def visit(url: str, *, binary: str, width: int = 1280, timeout: float = 60.0) -> PageVisit:
    """Load ``url``, wait for its load event (and a moment for late requests),
    then take a full-page screenshot."""
    to_chrome_r, to_chrome_w = os.pipe()
    from_chrome_r, from_chrome_w = os.pipe()
    profile = tempfile.mkdtemp(prefix="cje-chromium-")
    command = [binary, "--headless=new", "--remote-debugging-pipe", "--no-sandbox", "--disable-gpu",
               "--no-first-run", "--no-default-browser-check", "--disable-background-networking",
               "--disable-component-update", "--disable-sync", "--disable-extensions",
               f"--user-data-dir={profile}", f"--window-size={width},900", "about:blank"]

    def connect_fds() -> None:
        # In the child: Chromium reads commands on fd 3 and writes on fd 4. Copy
        # both ends above 10 first so that neither dup2 overwrites the other.
        reads, writes = fcntl.fcntl(to_chrome_r, fcntl.F_DUPFD, 10), fcntl.fcntl(from_chrome_w, fcntl.F_DUPFD, 10)
        os.dup2(reads, 3)
        os.dup2(writes, 4)

    # close_fds=False: fds 3 and 4 are made after subprocess would close them;
    # every other fd Python opened is close-on-exec anyway.
    process = subprocess.Popen(command, close_fds=False, preexec_fn=connect_fds,  # noqa: PLW1509
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.close(to_chrome_r)
    os.close(from_chrome_w)
    try:
        return _drive(_Pipe(to_chrome_w, from_chrome_r), url, width, time.monotonic() + timeout)
    finally:
        process.kill()
        process.wait()
        os.close(to_chrome_w)
        os.close(from_chrome_r)
        shutil.rmtree(profile, ignore_errors=True)


def _drive(pipe: _Pipe, url: str, width: int, deadline: float) -> PageVisit:
    result = PageVisit()
    created = pipe.send("Target.createTarget", {"url": "about:blank"})
    target = _answer(pipe, created, deadline, result)["targetId"]
    attached = pipe.send("Target.attachToTarget", {"targetId": target, "flatten": True})
    session = _answer(pipe, attached, deadline, result)["sessionId"]
    for method in ("Network.enable", "Runtime.enable", "Log.enable", "Page.enable"):
        _answer(pipe, pipe.send(method, session=session), deadline, result)
    pipe.send("Page.navigate", {"url": url}, session=session)
    while not result.loaded:
        if _record(pipe.read(deadline), result) is None and time.monotonic() > deadline:
            raise TimeoutError(f"{url} did not finish loading")
    settle = time.monotonic() + 1.0
    while time.monotonic() < settle:
        message = pipe.read(settle)
        if message is None:
            break
        _record(message, result)
    shot = pipe.send("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True}, session=session)
    result.screenshot = base64.b64decode(_answer(pipe, shot, deadline, result)["data"])
    return result


def _answer(pipe: _Pipe, request_id: int, deadline: float, result: PageVisit) -> dict[str, Any]:
    while True:
        message = pipe.read(deadline)
        if message is None:
            raise TimeoutError("no answer from Chromium")
        if message.get("id") == request_id:
            if "error" in message:
                raise RuntimeError(message["error"])
            answer: dict[str, Any] = message.get("result", {})
            return answer
        _record(message, result)


def _record(message: dict[str, Any] | None, result: PageVisit) -> dict[str, Any] | None:
    if message is None:
        return None
    method, params = message.get("method"), message.get("params", {})
    if method == "Network.requestWillBeSent":
        result.requests.append(params["request"]["url"])
    elif method == "Network.loadingFailed":
        result.failed_loads.append(params.get("errorText", ""))
    elif method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
        result.console_errors.append(" ".join(str(a.get("value", a.get("description", ""))) for a in params["args"]))
    elif method == "Runtime.exceptionThrown":
        result.exceptions.append(params["exceptionDetails"].get("text", "exception"))
    elif method == "Log.entryAdded" and params["entry"].get("level") == "error":
        result.console_errors.append(params["entry"].get("text", ""))
    elif method == "Page.loadEventFired":
        result.loaded = True
    return message


def file_url(path: Path) -> str:
    return path.resolve().as_uri()
