"""Typed errors of the ``cje`` library. Only scripts turn them into messages."""

from __future__ import annotations

from dataclasses import dataclass


class CJEError(Exception):
    """Base class for every error the library raises on purpose."""


@dataclass(frozen=True)
class InputProblem:
    """One problem in an input file, located by file, line and field."""

    source: str
    line: int | None
    field: str
    problem: str

    def __str__(self) -> str:
        where = self.source if self.line is None else f"{self.source}:{self.line}"
        return f"{where}: {self.field}: {self.problem}"


class DataValidationError(CJEError):
    """Input files break the data contract. ``problems`` lists every one found
    (up to a cap), each naming file, line and field."""

    def __init__(self, problems: list[InputProblem], *, truncated: bool = False) -> None:
        self.problems = tuple(problems)
        self.truncated = truncated
        lines = [str(p) for p in self.problems]
        if truncated:
            lines.append("... (more problems not shown)")
        super().__init__("\n".join(lines))


class ScaleMismatchError(CJEError):
    """Scores on different scales would have been mixed."""


class InsufficientLabelsError(CJEError):
    """Too few oracle labels to calibrate or to estimate."""


class EstimationError(CJEError):
    """An estimator could not produce a number, with the reason why."""


class EnvironmentFailure(CJEError):
    """The environment failed, not the input: an endpoint that refuses every
    request, a network that cannot be reached. Scripts exit with status 3."""
