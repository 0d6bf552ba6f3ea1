"""Whole-file writes that never leave a half-written file behind.

The new content goes to a temporary file in the same directory, is flushed and
fsync'd, then renamed over the target with ``os.replace`` (atomic on POSIX), and
the directory entry is fsync'd so the rename survives a power cut.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path


def write_text_atomic(path: str | os.PathLike[str], text: str) -> None:
    """Replace ``path`` with ``text`` atomically."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp_name, target)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
    fsync_directory(target.parent)


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
