"""Is a stored row finished work, or must it be (re)done? Judged by content.

A row is kept when it exists, holds no error, was computed from the texts it
depends on *now* (the recorded ``prompt_hash`` / ``response_hash`` equal the
hashes of the current prompt and response), and - in the default ``resume``
mode - with the current settings (``settings_hash``). A file that merely
exists proves nothing: a crash leaves partial files, and a regenerated
response leaves scores and log-probs of a text that is gone.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from cje.pipeline.settings import ResumeMode

Row = Mapping[str, object]


class Reason(StrEnum):
    """Why a row must be (re)done."""

    MISSING = "missing"
    FAILED = "failed"
    STALE = "stale"  # computed from a prompt or response text that has changed
    CHANGED = "settings changed"
    FORCED = "forced"


@dataclass(frozen=True)
class Expected:
    """What a finished row must record: the hashes of the texts it was computed
    from (``content``, always checked) and of its settings."""

    content: Mapping[str, str]
    settings_hash: str


def failed(row: Row) -> bool:
    """A failure row: the request or the reading of its reply failed for good."""
    return row.get("error") is not None


def reason_to_redo(row: Row | None, expected: Expected, mode: ResumeMode) -> Reason | None:
    """Why ``row`` must be redone under ``mode``, or None if it is finished work."""
    if mode is ResumeMode.FORCE:
        return Reason.FORCED
    if row is None:
        return Reason.MISSING
    if failed(row):
        return Reason.FAILED
    if any(row.get(name) != value for name, value in expected.content.items()):
        return Reason.STALE
    if mode is ResumeMode.RESUME and row.get("settings_hash") != expected.settings_hash:
        return Reason.CHANGED
    return None


def is_current(row: Row | None, content: Mapping[str, str]) -> bool:
    """A successful row computed from exactly these texts (settings aside):
    what the merge and the dataset build may use."""
    return row is not None and not failed(row) and all(row.get(k) == v for k, v in content.items())


@dataclass
class Tally:
    """Counts of rows kept and of rows to do, by reason."""

    done: int = 0
    todo: Counter[Reason] = field(default_factory=Counter)

    def add(self, reason: Reason | None) -> None:
        if reason is None:
            self.done += 1
        else:
            self.todo[reason] += 1

    @property
    def total(self) -> int:
        return self.done + sum(self.todo.values())

    @property
    def n_todo(self) -> int:
        return sum(self.todo.values())
