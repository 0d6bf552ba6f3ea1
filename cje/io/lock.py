"""A lock file that keeps two runs from writing the same data directory.

The lock is created with ``O_CREAT | O_EXCL`` and holds the owner's pid, host
and start time. A lock left by a dead process on this host is taken over (and
logged); a live owner, or an owner on another host whose liveness cannot be
checked, makes ``acquire`` raise ``LockHeldError``. The check-and-create runs
under an ``flock`` of the directory, so two processes on one host cannot both
take over the same stale lock.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import socket
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from cje.errors import CJEError
from cje.io.atomic import fsync_directory

logger = logging.getLogger(__name__)

LOCK_NAME = ".cje.lock"


@dataclass(frozen=True)
class LockOwner:
    """Who holds a lock, as written in the lock file."""

    pid: int
    host: str
    started: str
    token: str


class LockHeldError(CJEError):
    """Another run holds the lock of this data directory."""

    def __init__(self, path: Path, owner: LockOwner) -> None:
        self.path = path
        self.owner = owner
        super().__init__(
            f"{path} is held by pid {owner.pid} on host {owner.host} (since {owner.started}); "
            "wait for that run to finish, or delete the file if no run is active"
        )


class DirectoryLock:
    """Exclusive use of ``directory`` by this process, as a context manager."""

    def __init__(self, directory: str | os.PathLike[str], *, name: str = LOCK_NAME) -> None:
        self.directory = Path(directory)
        self.path = self.directory / name
        self._owner: LockOwner | None = None

    def acquire(self) -> None:
        """Take the lock, taking over a stale one; raise ``LockHeldError`` if it is held."""
        if self._owner is not None:
            raise CJEError(f"{self.path}: already acquired by this object")
        self.directory.mkdir(parents=True, exist_ok=True)
        with _directory_mutex(self.directory):
            owner = _new_owner()
            try:
                _create(self.path, owner)
            except FileExistsError:
                self._take_over(owner)
            self._owner = owner

    def release(self) -> None:
        """Remove the lock file if it is still ours. Idempotent."""
        if self._owner is None:
            return
        with _directory_mutex(self.directory):
            current = _read_owner(self.path)
            if current == self._owner:
                self.path.unlink()
                fsync_directory(self.directory)
            else:
                logger.warning("%s no longer holds our lock (found %s); leaving it alone", self.path, current)
        self._owner = None

    def __enter__(self) -> DirectoryLock:
        self.acquire()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.release()

    def _take_over(self, owner: LockOwner) -> None:
        holder = _read_owner(self.path)
        if holder is not None and not _is_stale(holder):
            raise LockHeldError(self.path, holder)
        if holder is None:
            # Written under the same mutex as its creation, so an unreadable
            # file means its creator died between creating and writing it.
            logger.warning("%s is unreadable; taking it over", self.path)
        else:
            logger.warning(
                "%s was left by pid %d (started %s), which is no longer running; taking it over",
                self.path,
                holder.pid,
                holder.started,
            )
        self.path.unlink(missing_ok=True)
        _create(self.path, owner)


def _new_owner() -> LockOwner:
    return LockOwner(
        pid=os.getpid(),
        host=socket.gethostname(),
        started=datetime.now(UTC).isoformat(timespec="seconds"),
        token=uuid.uuid4().hex,
    )


def _create(path: Path, owner: LockOwner) -> None:
    fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(asdict(owner), handle)
        handle.flush()
        os.fsync(handle.fileno())
    fsync_directory(path.parent)


def _read_owner(path: Path) -> LockOwner | None:
    """The owner written in ``path``, or None if it is missing or unreadable."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return LockOwner(
            pid=int(data["pid"]), host=str(data["host"]), started=str(data["started"]), token=str(data["token"])
        )
    except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError):
        return None


def _is_stale(owner: LockOwner) -> bool:
    """True only when the owner is provably gone: same host, no such process."""
    if owner.host != socket.gethostname():
        return False
    try:
        os.kill(owner.pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False  # alive, owned by another user
    return False


@contextmanager
def _directory_mutex(directory: Path) -> Iterator[None]:
    """Serialise lock bookkeeping among processes of this host (released on exit or death)."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)
