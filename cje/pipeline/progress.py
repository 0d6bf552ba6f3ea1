"""What a step tells its user: a status block before it starts, then progress.

The library describes; the scripts draw (``cje.cli.progress`` renders status
blocks and tqdm bars). Library callers that want silence pass
``SilentReporter()``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol

from cje.pipeline.staleness import Tally


@dataclass(frozen=True)
class StepStatus:
    """A step's work before it starts: ``total`` records, ``done`` of them
    kept from earlier runs (resumed), the rest to do by reason."""

    step: str
    description: str
    total: int
    done: int
    todo: Mapping[str, int]
    notes: tuple[str, ...] = ()

    @property
    def n_todo(self) -> int:
        return sum(self.todo.values())

    @classmethod
    def from_tally(cls, step: str, description: str, tally: Tally, notes: tuple[str, ...] = ()) -> StepStatus:
        todo = {reason.value: count for reason, count in tally.todo.items() if count}
        return cls(step, description, tally.total, tally.done, todo, notes)


@dataclass
class StepResult:
    """What a step did: rows attempted, and failures by error type."""

    step: str
    status: StepStatus
    succeeded: int = 0
    failures: Counter[str] = field(default_factory=Counter)

    @property
    def failed(self) -> int:
        return sum(self.failures.values())


class ProgressBar(Protocol):
    def advance(self, *, failed: bool) -> None: ...

    def close(self) -> None: ...


class Reporter(Protocol):
    """Receives a step's status block and draws its progress."""

    def status(self, status: StepStatus) -> None: ...

    def bar(self, step: str, total: int) -> ProgressBar: ...


class _NoBar:
    def advance(self, *, failed: bool) -> None:
        return None

    def close(self) -> None:
        return None


class SilentReporter:
    """Reports nothing (library use, tests)."""

    def status(self, status: StepStatus) -> None:
        return None

    def bar(self, step: str, total: int) -> ProgressBar:
        return _NoBar()
