"""The data-directory lock: exclusion between processes, stale takeover."""

from __future__ import annotations

import json
import logging
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from cje.io.lock import LOCK_NAME, DirectoryLock, LockHeldError

HERE = Path(__file__).parent
REPO = HERE.parent.parent


def _holder(directory: Path) -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        [sys.executable, str(HERE / "lock_holder.py"), str(directory)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    assert proc.stdout is not None and proc.stdout.readline().strip() == "locked"
    return proc


def test_a_second_process_is_refused_while_the_first_runs(tmp_path: Path) -> None:
    proc = _holder(tmp_path)
    try:
        with pytest.raises(LockHeldError) as caught:
            DirectoryLock(tmp_path).acquire()
        assert caught.value.owner.pid == proc.pid
        assert caught.value.path == tmp_path / LOCK_NAME
        assert str(proc.pid) in str(caught.value) and LOCK_NAME in str(caught.value)
    finally:
        proc.communicate("")  # closing stdin lets the holder release and exit
    assert proc.returncode == 0
    assert not (tmp_path / LOCK_NAME).exists()
    with DirectoryLock(tmp_path):  # free again
        assert (tmp_path / LOCK_NAME).exists()


def test_a_lock_left_by_a_killed_process_is_taken_over_with_a_log(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    proc = _holder(tmp_path)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert (tmp_path / LOCK_NAME).exists()
    with caplog.at_level(logging.WARNING, logger="cje.io.lock"), DirectoryLock(tmp_path) as lock:
        owner = json.loads(lock.path.read_text())
        assert owner["pid"] == os.getpid()
    assert f"pid {proc.pid}" in caplog.text and "taking it over" in caplog.text
    assert not (tmp_path / LOCK_NAME).exists()


def test_the_lock_file_records_pid_host_and_time(tmp_path: Path) -> None:
    with DirectoryLock(tmp_path) as lock:
        owner = json.loads(lock.path.read_text())
    assert owner["pid"] == os.getpid()
    assert owner["host"] == socket.gethostname()
    assert owner["started"].endswith("+00:00")


def test_a_lock_from_another_host_is_never_taken_over(tmp_path: Path) -> None:
    content = {"pid": 999_999, "host": "elsewhere.example", "started": "2024-01-01T00:00:00+00:00", "token": "t"}
    (tmp_path / LOCK_NAME).write_text(json.dumps(content))
    with pytest.raises(LockHeldError, match=r"elsewhere\.example"):
        DirectoryLock(tmp_path).acquire()


def test_an_unreadable_lock_is_taken_over(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    (tmp_path / LOCK_NAME).write_text("")
    with caplog.at_level(logging.WARNING, logger="cje.io.lock"), DirectoryLock(tmp_path):
        pass
    assert "unreadable" in caplog.text


def test_release_leaves_someone_elses_lock_alone(tmp_path: Path) -> None:
    lock = DirectoryLock(tmp_path)
    lock.acquire()
    replaced = {"pid": 1, "host": "other", "started": "x", "token": "theirs"}
    lock.path.write_text(json.dumps(replaced))
    lock.release()
    assert json.loads(lock.path.read_text()) == replaced
    lock.release()  # idempotent
