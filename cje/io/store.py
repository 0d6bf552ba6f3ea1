"""An append-only JSONL file of rows keyed by a stable id: the write-ahead log
of a resumable step.

Opening reads every row (the last row for an id wins) and trims a torn last
line left by a crash. A corrupt line *inside* the file (NUL bytes after a
machine crash, a hand edit gone wrong) does not block the run: it is moved to
``<file>.corrupt`` beside the log, reported once (a warning naming both files
and the line numbers), and the log is rewritten without it, so its row counts
as missing and is done again. ``append`` hands each batch of complete lines
to the OS in one write, so a killed process loses nothing ``append`` returned
from; an fsync at least every ``batch_size`` rows (and on close) bounds what a
power cut can lose. The file is never rewritten periodically; ``rewrite`` is a
single atomic replacement for an explicit compaction or repair.

``read_rows`` reads a log without changing it (for dry runs and read-only
directories): a torn last line and corrupt lines are skipped and counted.

An OS error while writing (disk full, file too large) is raised as an
``OSError`` naming the file; what was appended before stays valid.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from collections.abc import Callable, Iterable, Iterator, KeysView, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import BinaryIO

from cje.errors import CJEError
from cje.io.atomic import fsync_directory, write_bytes_atomic, write_jsonl_atomic

logger = logging.getLogger(__name__)

Row = Mapping[str, object]


class StoreError(CJEError):
    """A row cannot be stored (no id, not JSON), or the store is closed."""


QUARANTINE_SUFFIX = ".corrupt"


@dataclass(frozen=True)
class LogContents:
    """What a log holds, read without changing it: the latest row of every id,
    whether the last line is torn, and the numbers of corrupt lines."""

    rows: dict[str, Row]
    torn_tail: bool
    corrupt_lines: tuple[int, ...]


def read_rows(path: str | os.PathLike[str], *, key: str) -> LogContents:
    """The rows of the log at ``path`` (none if it does not exist), touching nothing."""
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError:
        return LogContents({}, False, ())
    torn = bool(data) and not data.endswith(b"\n")
    lines = data.split(b"\n")[:-1]  # the part after the last newline is torn (or empty)
    rows, corrupt = _parse_lines(lines, key)
    return LogContents(rows, torn, tuple(number for number, _ in corrupt))


class JsonlStore:
    """Rows keyed by ``row[key]`` (a string), backed by one append-only file.

    Not for two processes at once (see ``cje.io.lock``); safe for threads of
    one process. Use as a context manager, or call ``close``.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        key: str,
        batch_size: int = 20,
        fsync: Callable[[int], None] = os.fsync,
    ) -> None:
        """Open (creating if needed) the store at ``path``; ``fsync`` is injectable for tests."""
        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, got {batch_size}")
        self.path = Path(path)
        self.key = key
        self.batch_size = batch_size
        self._fsync = fsync
        self._lock = threading.Lock()
        self._unsynced = 0
        self.quarantined: tuple[int, ...] = ()
        with _naming(self.path):
            self.path.parent.mkdir(parents=True, exist_ok=True)
            existed = self.path.exists()
            self.trimmed_bytes = _trim_torn_tail(self.path, fsync) if existed else 0
            self._rows = self._read_rows() if existed else {}
            self._fd: int | None = self._open_for_append()
            if not existed:
                fsync_directory(self.path.parent)  # make the new file's name durable

    @property
    def rows(self) -> Mapping[str, Row]:
        """Read-only view of the latest row for every id."""
        return MappingProxyType(self._rows)

    @property
    def ids(self) -> KeysView[str]:
        """The ids that have a row (finished work, failures included)."""
        return self._rows.keys()

    def __contains__(self, row_id: object) -> bool:
        return row_id in self._rows

    def __len__(self) -> int:
        return len(self._rows)

    def append(self, rows: Iterable[Row]) -> None:
        """Append ``rows``; when this returns they survive the process being killed."""
        items = [(self._row_id(row), _encode(row)) for row in rows]
        if not items:
            return
        data = b"".join(line for _, line in items)
        with self._lock, _naming(self.path):
            _write_all(self._require_open(), data)
            for (row_id, _), row in zip(items, _decoded(items), strict=True):
                self._rows[row_id] = row
            self._unsynced += len(items)
            if self._unsynced >= self.batch_size:
                self._sync()

    def flush(self) -> None:
        """fsync whatever was appended since the last fsync."""
        with self._lock, _naming(self.path):
            if self._unsynced:
                self._sync()

    def rewrite(self, rows: Iterable[Row]) -> None:
        """Replace the whole file with ``rows`` atomically (temp file, fsync, rename)."""
        items = [(self._row_id(row), _encode(row)) for row in rows]
        decoded = list(_decoded(items))
        with self._lock, _naming(self.path):
            self._close_fd()
            write_jsonl_atomic(self.path, decoded)
            self._rows = {row_id: row for (row_id, _), row in zip(items, decoded, strict=True)}
            self._fd = self._open_for_append()

    def close(self) -> None:
        """fsync pending rows and close the file. Idempotent."""
        with self._lock, _naming(self.path):
            self._close_fd()

    def __enter__(self) -> JsonlStore:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _row_id(self, row: Row) -> str:
        row_id = row.get(self.key)
        if not isinstance(row_id, str) or not row_id:
            raise StoreError(f"{self.path}: row has no string {self.key!r}: {str(row)[:120]}")
        return row_id

    def _read_rows(self) -> dict[str, Row]:
        lines = self.path.read_bytes().split(b"\n")[:-1]  # the torn tail is already trimmed
        rows, corrupt = _parse_lines(lines, self.key)
        if corrupt:
            self._quarantine(lines, corrupt)
        return rows

    def _quarantine(self, lines: list[bytes], corrupt: list[tuple[int, str]]) -> None:
        """Move the corrupt lines to the side file, then rewrite the log without them."""
        side = self.path.with_name(self.path.name + QUARANTINE_SUFFIX)
        bad = {number for number, _ in corrupt}
        with open(side, "ab") as handle:
            handle.write(b"".join(lines[number - 1] + b"\n" for number in sorted(bad)))
            handle.flush()
            self._fsync(handle.fileno())
        kept = b"".join(line + b"\n" for number, line in enumerate(lines, start=1) if number not in bad)
        write_bytes_atomic(self.path, kept)
        self.quarantined = tuple(sorted(bad))
        numbers = ", ".join(str(n) for n in self.quarantined[:10]) + (" ..." if len(bad) > 10 else "")
        logger.warning("%s: %d corrupt line(s) (line %s: %s) moved to %s; their rows will be done again",
                       self.path, len(bad), numbers, corrupt[0][1], side)

    def _open_for_append(self) -> int:
        return os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)

    def _require_open(self) -> int:
        if self._fd is None:
            raise StoreError(f"{self.path}: store is closed")
        return self._fd

    def _sync(self) -> None:
        self._fsync(self._require_open())
        self._unsynced = 0

    def _close_fd(self) -> None:
        if self._fd is None:
            return
        if self._unsynced:
            self._sync()
        os.close(self._fd)
        self._fd = None


def _encode(row: Row) -> bytes:
    try:
        text = json.dumps(row, ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise StoreError(f"row cannot be written as JSON: {exc}") from None
    return (text + "\n").encode("utf-8")


def _decoded(items: list[tuple[str, bytes]]) -> Iterable[Row]:
    # Keep the in-memory row identical to what a reopen would read back.
    return (json.loads(line) for _, line in items)


def _parse_lines(lines: list[bytes], key: str) -> tuple[dict[str, Row], list[tuple[int, str]]]:
    """Rows by id (the last wins), and the (line number, problem) of every corrupt line."""
    rows: dict[str, Row] = {}
    corrupt: list[tuple[int, str]] = []
    for number, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        row, problem = _parse_line(raw, key)
        if row is None:
            corrupt.append((number, problem or "corrupt"))
        else:
            rows[str(row[key])] = row
    return rows, corrupt


def _parse_line(raw: bytes, key: str) -> tuple[Row | None, str | None]:
    try:
        row = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        return None, f"not JSON ({type(exc).__name__})"
    if not isinstance(row, dict):
        return None, "not a JSON object"
    if not isinstance(row.get(key), str) or not row[key]:
        return None, f"no string {key!r}"
    return row, None


@contextmanager
def _naming(path: Path) -> Iterator[None]:
    """OS errors raised inside name ``path`` (``os.write`` reports no file name)."""
    try:
        yield
    except OSError as error:
        if error.filename is not None:
            raise
        raise OSError(error.errno, error.strerror, str(path)) from None


def _write_all(fd: int, data: bytes) -> None:
    """Write ``data`` whole, or (disk full, file too large) cut the file back to
    where it was, so no partial line is left before later appends."""
    start = os.lseek(fd, 0, os.SEEK_END)
    view = memoryview(data)
    try:
        while view:
            written = os.write(fd, view)
            view = view[written:]
    except OSError:
        try:
            os.ftruncate(fd, start)
        except OSError as error:  # the original error matters more; a torn tail is trimmed on reopening
            logger.debug("could not cut back a failed append: %s", error)
        raise


def _trim_torn_tail(path: Path, fsync: Callable[[int], None]) -> int:
    """Cut an unterminated last line (a write the crash interrupted); returns bytes cut."""
    with open(path, "r+b") as handle:
        size = handle.seek(0, os.SEEK_END)
        if size == 0:
            return 0
        handle.seek(size - 1)
        if handle.read(1) == b"\n":
            return 0
        keep = _last_newline_end(handle, size)
        handle.truncate(keep)
        handle.flush()
        fsync(handle.fileno())
    logger.warning("%s: trimmed a torn last line (%d bytes) left by an interrupted write", path, size - keep)
    return size - keep


def _last_newline_end(handle: BinaryIO, size: int, chunk: int = 1 << 16) -> int:
    """Offset just past the last b"\\n" in the file (0 if none), read backwards."""
    end = size
    while end > 0:
        start = max(0, end - chunk)
        handle.seek(start)
        found = handle.read(end - start).rfind(b"\n")
        if found >= 0:
            return start + found + 1
        end = start
    return 0
