"""An append-only JSONL file of rows keyed by a stable id: the write-ahead log
of a resumable step.

Opening reads every row (the last row for an id wins) and trims a torn last
line left by a crash. ``append`` hands each batch of complete lines to the OS
in one write, so a killed process loses nothing ``append`` returned from; an
fsync at least every ``batch_size`` rows (and on close) bounds what a power
cut can lose. The file is never rewritten periodically; ``rewrite`` is a
single atomic replacement for an explicit compaction or repair.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from collections.abc import Callable, Iterable, KeysView, Mapping
from pathlib import Path
from types import MappingProxyType
from typing import BinaryIO

from cje.errors import CJEError
from cje.io.atomic import fsync_directory, write_jsonl_atomic

logger = logging.getLogger(__name__)

Row = Mapping[str, object]


class StoreError(CJEError):
    """A store file is corrupt, or a row cannot be stored (no id, not JSON)."""


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
        with self._lock:
            _write_all(self._require_open(), data)
            for (row_id, _), row in zip(items, _decoded(items), strict=True):
                self._rows[row_id] = row
            self._unsynced += len(items)
            if self._unsynced >= self.batch_size:
                self._sync()

    def flush(self) -> None:
        """fsync whatever was appended since the last fsync."""
        with self._lock:
            if self._unsynced:
                self._sync()

    def rewrite(self, rows: Iterable[Row]) -> None:
        """Replace the whole file with ``rows`` atomically (temp file, fsync, rename)."""
        items = [(self._row_id(row), _encode(row)) for row in rows]
        decoded = list(_decoded(items))
        with self._lock:
            self._close_fd()
            write_jsonl_atomic(self.path, decoded)
            self._rows = {row_id: row for (row_id, _), row in zip(items, decoded, strict=True)}
            self._fd = self._open_for_append()

    def close(self) -> None:
        """fsync pending rows and close the file. Idempotent."""
        with self._lock:
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
        rows: dict[str, Row] = {}
        with open(self.path, "rb") as handle:
            for number, raw in enumerate(handle, start=1):
                if raw.strip():
                    row = _parse_line(raw, f"{self.path}:{number}")
                    rows[self._row_id(row)] = row
        return rows

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


def _parse_line(raw: bytes, where: str) -> Row:
    try:
        row = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise StoreError(f"{where}: corrupt line inside the file: {exc}") from None
    if not isinstance(row, dict):
        raise StoreError(f"{where}: line is not a JSON object")
    return row


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


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
