"""Whole-file writes that never leave a half-written file behind.

The new content goes to a temporary file in the same directory, is flushed and
fsync'd, then renamed over the target with ``os.replace`` (atomic on POSIX), and
the directory entry is fsync'd so the rename survives a power cut. The file
gets the mode a plain ``open`` would give it: an existing file keeps its mode,
a new one gets ``0o666`` less the umask.

A target that exists and is not a regular file - a FIFO, a character device -
or that lives under ``/dev`` or ``/proc`` (``/dev/stdout``, whatever the
process's output is: a pipe, a terminal, a file the shell redirected to) is
never replaced: the content is written through to it, appended, so
``--output /dev/stdout | jq`` works, a FIFO stays a FIFO and a redirected
output keeps what was printed before. Such a write is not atomic; there is no
file to keep whole. A symbolic link to a regular file stays a link: the file it
points to is replaced.

An OS error (disk full, file too large, permission denied) leaves the target
as it was and is raised as an ``OSError`` naming it.
"""

from __future__ import annotations

import json
import os
import stat
import tempfile
import threading
from collections.abc import Iterable, Mapping
from pathlib import Path

_UMASK_LOCK = threading.Lock()


def write_bytes_atomic(path: str | os.PathLike[str], data: bytes) -> None:
    """Replace ``path`` with ``data`` atomically (or write through to a non-regular file)."""
    target = Path(path)
    try:
        existing = target.stat()
    except FileNotFoundError:
        existing = None
    except OSError as error:
        raise _named(error, target) from None
    if existing is not None and (not stat.S_ISREG(existing.st_mode) or _special(target)):
        _write_through(target, data)
        return
    if target.is_symlink():
        target = Path(os.path.realpath(target))
    mode = stat.S_IMODE(existing.st_mode) if existing is not None else 0o666 & ~current_umask()
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    except OSError as error:
        raise _named(error, target) from None
    try:
        with os.fdopen(fd, "wb") as handle:
            os.fchmod(handle.fileno(), mode)
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp_name, target)
    except BaseException as error:
        Path(tmp_name).unlink(missing_ok=True)
        if isinstance(error, OSError):
            raise _named(error, target) from None
        raise
    fsync_directory(target.parent)


def write_text_atomic(path: str | os.PathLike[str], text: str) -> None:
    """Replace ``path`` with ``text`` (UTF-8) atomically."""
    write_bytes_atomic(path, text.encode("utf-8"))


def write_jsonl_atomic(path: str | os.PathLike[str], rows: Iterable[Mapping[str, object]]) -> int:
    """Replace ``path`` with one JSON object per line; returns the row count."""
    lines = [json.dumps(row, ensure_ascii=False, allow_nan=False) for row in rows]
    write_text_atomic(path, "".join(line + "\n" for line in lines))
    return len(lines)


def write_json_atomic(path: str | os.PathLike[str], value: object) -> None:
    """Replace ``path`` with ``value`` as indented JSON."""
    write_text_atomic(path, json.dumps(value, indent=2, ensure_ascii=False, allow_nan=False) + "\n")


def fsync_directory(directory: str | os.PathLike[str]) -> None:
    """Make a rename or a new file in ``directory`` durable."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def current_umask() -> int:
    """The process's umask (read by setting it and putting it back)."""
    with _UMASK_LOCK:
        mask = os.umask(0o022)
        os.umask(mask)
    return mask


def _special(target: Path) -> bool:
    """A path of the device or process file systems (``/dev/stdout``...), or a link into them."""
    places = ("/dev/", "/proc/")
    return str(target.absolute()).startswith(places) or os.path.realpath(target).startswith(places)


def _write_through(target: Path, data: bytes) -> None:
    try:
        with open(target, "ab") as handle:
            handle.write(data)
            handle.flush()
    except OSError as error:
        raise _named(error, target) from None


def _named(error: OSError, path: Path) -> OSError:
    """``error`` with ``path`` as its file name when it names none."""
    if error.filename is not None:
        return error
    return OSError(error.errno, error.strerror, str(path))
