"""Where a result came from: when, by which command, with which package
versions, from which inputs (each file's sha256)."""

from __future__ import annotations

import functools
import hashlib
import platform
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

VERSIONED_PACKAGES = ("arena-cje", "numpy", "scipy", "matplotlib", "orjson", "click")


@dataclass(frozen=True)
class InputFile:
    """One file an analysis read. ``role`` is ``logged``, ``fresh-draws``,
    ``probe`` or ``truth``; ``policy`` names the policy a fresh-draw or probe
    file belongs to."""

    role: str
    policy: str | None
    path: str
    sha256: str
    bytes: int


@dataclass(frozen=True)
class Sources:
    """What an analysis read: files, or rows handed over in memory. ``sha256``
    covers everything read (the files in order, or the rows as canonical JSON)."""

    kind: str
    files: tuple[InputFile, ...]
    sha256: str


@dataclass(frozen=True)
class Provenance:
    """``command_line`` is None when the run came through the Python API.
    (Package versions are read when a document is written: reading them costs
    a tenth of a second, a run that writes nothing need not pay it.)"""

    created: str
    command_line: tuple[str, ...] | None
    sources: Sources


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def input_file(role: str, policy: str | None, path: Path) -> InputFile:
    return InputFile(role, policy, str(path), file_sha256(path), path.stat().st_size)


def combined_sha256(parts: Iterable[str]) -> str:
    """One digest over several (role, path and content digests joined in order)."""
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part.encode())
        digest.update(b"\n")
    return digest.hexdigest()


@functools.cache
def versions() -> dict[str, str]:
    """Python's and each analysis package's version ("not installed" if absent)."""
    from importlib import metadata

    found = {"python": platform.python_version()}
    for package in VERSIONED_PACKAGES:
        try:
            found[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            found[package] = "not installed"
    return found


def now_utc() -> str:
    """The current time as ISO 8601 in UTC, to the second (``2026-01-31T12:00:00Z``)."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def provenance(sources: Sources, command_line: Iterable[str] | None) -> Provenance:
    return Provenance(now_utc(), None if command_line is None else tuple(command_line), sources)
