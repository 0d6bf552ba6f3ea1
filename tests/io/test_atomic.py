"""Whole-file writes: modes as a plain open gives them, write-through for paths
that are not regular files, OS errors that name the file and leave it intact."""

from __future__ import annotations

import errno
import os
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from cje.io.atomic import write_json_atomic, write_text_atomic
from cje.io.store import JsonlStore

REPO = Path(__file__).resolve().parents[2]


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.parametrize("umask", [0o022, 0o077, 0o002])
def test_a_new_file_honours_the_umask(tmp_path, umask):
    old = os.umask(umask)
    try:
        write_text_atomic(tmp_path / "new.txt", "x")
    finally:
        os.umask(old)
    assert mode(tmp_path / "new.txt") == 0o666 & ~umask


def test_rewriting_keeps_the_existing_mode(tmp_path):
    path = tmp_path / "kept.json"
    path.write_text("{}")
    path.chmod(0o640)
    write_json_atomic(path, {"a": 1})
    assert mode(path) == 0o640 and path.read_text() == '{\n  "a": 1\n}\n'


def test_a_fifo_is_written_through_and_stays_a_fifo(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()))
    reader.start()
    write_json_atomic(fifo, {"estimate": 0.5})
    reader.join(timeout=10)
    assert received == [b'{\n  "estimate": 0.5\n}\n']
    assert stat.S_ISFIFO(fifo.stat().st_mode)
    assert [p.name for p in tmp_path.iterdir()] == ["pipe"]  # no temporary file left behind


def test_a_device_is_written_through_never_replaced(tmp_path):
    with pytest.raises(OSError) as caught:
        write_text_atomic("/dev/full", "x" * 100)
    assert caught.value.errno == errno.ENOSPC and caught.value.filename == "/dev/full"
    assert stat.S_ISCHR(os.stat("/dev/full").st_mode)


STDOUT_CODE = ("import sys; print('table'); sys.stdout.flush(); "
               "from cje.io.atomic import write_text_atomic; write_text_atomic('/dev/stdout', 'json')")


def test_stdout_receives_the_text_after_what_was_printed(tmp_path):
    done = subprocess.run([sys.executable, "-c", STDOUT_CODE], capture_output=True, text=True, cwd=REPO, timeout=60)
    assert done.returncode == 0 and done.stdout == "table\njson"


def test_stdout_redirected_to_a_file_keeps_the_file_and_what_was_printed(tmp_path):
    out = tmp_path / "out.txt"
    with open(out, "w") as handle:
        done = subprocess.run([sys.executable, "-c", STDOUT_CODE], stdout=handle, cwd=REPO, timeout=60)
    assert done.returncode == 0 and out.read_text() == "table\njson"
    assert os.path.islink("/dev/stdout")  # never replaced


def test_a_symlink_to_a_file_stays_a_link(tmp_path):
    real = tmp_path / "real.json"
    real.write_text("old")
    link = tmp_path / "link.json"
    link.symlink_to(real)
    write_text_atomic(link, "new")
    assert link.is_symlink() and real.read_text() == "new"


EFBIG_SCRIPT = """
import resource, signal, sys
from cje.io.atomic import write_text_atomic
from cje.io.store import JsonlStore
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
target = sys.argv[1]
resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))
try:
    write_text_atomic(target + "/whole.txt", "x" * 10000)
except OSError as error:
    print("atomic", error.errno, error.filename)
with JsonlStore(target + "/log.jsonl", key="id") as store:
    store.append([{"id": "small"}])
    try:
        store.append([{"id": "big", "text": "y" * 10000}])
    except OSError as error:
        print("store", error.errno, error.filename)
"""


def test_file_too_large_names_the_file_and_keeps_what_was_there(tmp_path):
    (tmp_path / "whole.txt").write_text("before")
    done = subprocess.run([sys.executable, "-c", EFBIG_SCRIPT, str(tmp_path)], capture_output=True, text=True,
                          cwd=REPO, timeout=60)
    assert done.returncode == 0, done.stderr
    assert f"atomic {errno.EFBIG} {tmp_path}/whole.txt" in done.stdout
    assert f"store {errno.EFBIG} {tmp_path}/log.jsonl" in done.stdout
    assert (tmp_path / "whole.txt").read_text() == "before"
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
    with JsonlStore(tmp_path / "log.jsonl", key="id") as store:  # the failed append left no partial line
        assert set(store.ids) == {"small"} and store.trimmed_bytes == 0
