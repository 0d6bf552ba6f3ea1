"""Parse a JSONL file into objects, recording every bad line.

Lines are parsed with orjson (several times faster than the standard library
on million-row files). Problems are collected in a :class:`ProblemLog` as
``file:line: field: problem`` and raised together.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import orjson

from cje.errors import DataValidationError, InputProblem

MAX_PROBLEMS = 50


class _Missing:
    def __repr__(self) -> str:
        return "<missing>"


MISSING = _Missing()
"""Stands for a field a row does not have (as opposed to ``null``)."""


@dataclass
class ProblemLog:
    """Problems found so far; stops collecting after ``MAX_PROBLEMS``."""

    problems: list[InputProblem] = field(default_factory=list)
    truncated: bool = False

    def add(self, source: str, line: int | None, field_name: str, problem: str) -> None:
        if len(self.problems) >= MAX_PROBLEMS:
            self.truncated = True
            return
        self.problems.append(InputProblem(source, line, field_name, problem))

    def raise_if_any(self) -> None:
        if self.problems:
            raise DataValidationError(self.problems, truncated=self.truncated)


@dataclass(frozen=True)
class ParsedFile:
    """The JSON objects of a file and the line each came from."""

    source: str
    rows: list[dict]
    lines: np.ndarray

    def at(self, index: int) -> int:
        return int(self.lines[index])


def parse_jsonl(path: Path, log: ProblemLog) -> ParsedFile:
    """Parse every non-blank line; record lines that are not JSON objects.

    Lines are first decoded in one tight streaming loop; only if that fails (a
    bad or blank line somewhere) is the file read again line by line to find
    and name the bad ones.
    """
    try:
        with path.open("rb") as handle:
            rows = [orjson.loads(raw) for raw in handle]
        if all(type(row) is dict for row in rows):
            return ParsedFile(str(path), rows, np.arange(1, len(rows) + 1, dtype=np.int64))
    except orjson.JSONDecodeError:
        pass
    except OSError as error:
        log.add(str(path), None, "file", f"cannot be read ({error.strerror})")
        return ParsedFile(str(path), [], np.zeros(0, dtype=np.int64))
    return _parse_carefully(path, log)


def _parse_carefully(path: Path, log: ProblemLog) -> ParsedFile:
    rows, lines = [], []
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            if not raw.strip():
                continue
            value = _decode(raw, str(path), number, log)
            if value is MISSING:
                continue
            if not isinstance(value, dict):
                log.add(str(path), number, "line", "not a JSON object")
                continue
            rows.append(value)
            lines.append(number)
    return ParsedFile(str(path), rows, np.array(lines, dtype=np.int64))


def _decode(raw: bytes, source: str, number: int, log: ProblemLog) -> object:
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        pass
    # orjson rejects the NaN/Infinity tokens; the standard library reads them
    # so that the field check can say which field holds one.
    try:
        value = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        message = error.msg if isinstance(error, json.JSONDecodeError) else "not UTF-8"
        log.add(source, number, "line", f"not valid JSON ({message})")
        return MISSING
    try:  # orjson also refuses lone surrogates (\ud800 escapes), which no text can hold
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        log.add(source, number, "line", "holds a lone surrogate escape (such as \\ud800): not valid Unicode text")
        return MISSING
    except ValueError:  # NaN / Infinity tokens: reported by the field checks
        pass
    return value
