"""Load a dataset JSONL and its fresh draws into validated columns.

Validation is loud: every problem is recorded as ``file:line: field: problem``
and, if there is any, one :class:`DataValidationError` lists them all (up to
``MAX_PROBLEMS``). ``prompt_id``, ``judge_score`` and ``oracle_label`` may sit
at the top level or inside ``metadata``; the top level wins when both exist.

Lines are parsed with orjson (several times faster than the standard library
on million-row files); each field then becomes a numpy column in one pass, and
values are checked with vectorised tests. Only a column that holds something
other than numbers and nulls is walked row by row, to name the bad rows.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import orjson
import pandas as pd

from cje.data.scales import detect_scale, outside, to_unit
from cje.data.tables import Dataset, FreshTable, LoggedTable
from cje.errors import DataValidationError, InputProblem, ScaleMismatchError

MAX_PROBLEMS = 50
NESTED_FIELDS = ("prompt_id", "judge_score", "oracle_label")
_NUMERIC_TYPES = {int, float, type(None)}


class _Missing:
    def __repr__(self) -> str:
        return "<missing>"


MISSING = _Missing()


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
        return json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        message = error.msg if isinstance(error, json.JSONDecodeError) else "not UTF-8"
        log.add(source, number, "line", f"not valid JSON ({message})")
        return MISSING


def field_values(rows: list[dict], name: str) -> list:
    """``name`` from each row (top level first, then ``metadata`` for the
    nested fields); ``MISSING`` where absent."""
    values = [row.get(name, MISSING) for row in rows]
    if name in NESTED_FIELDS:
        for i, value in enumerate(values):
            if value is MISSING:
                metadata = rows[i].get("metadata")
                if isinstance(metadata, dict):
                    values[i] = metadata.get(name, MISSING)
    return values


def number_problem(value: object) -> str | None:
    """Why a JSON value is not a number or null (None if it is one)."""
    if value is None or (type(value) in (int, float)):
        return None
    if value is MISSING:
        return "missing"
    return f"is not a number ({json.dumps(value, default=str)[:40]})"


def float_column(values: list, parsed: ParsedFile, field_name: str, log: ProblemLog, *,
                 nullable: bool, missing_ok: bool, logprob: bool = False) -> np.ndarray:
    """Numbers as float64 (NaN for null, absent or invalid), every problem logged."""
    types = {type(v) for v in values}
    if missing_ok and _Missing in types and types <= _NUMERIC_TYPES | {_Missing}:
        values = [None if v is MISSING else v for v in values]
        types = _NUMERIC_TYPES
    if types <= _NUMERIC_TYPES:
        column = np.array(values, dtype=float)
        is_null = np.zeros(column.size, dtype=bool)
        nan = np.isnan(column)
        if nan.any():
            is_null[nan] = [values[i] is None for i in np.flatnonzero(nan)]
        reported = np.zeros(column.size, dtype=bool)
    else:
        column, is_null, reported = _slow_float_column(values, parsed, field_name, log, missing_ok)
    if not nullable:
        for i in np.flatnonzero(is_null)[:MAX_PROBLEMS]:
            log.add(parsed.source, parsed.at(i), field_name, "is null")
    # NaN that is neither null nor an already-reported bad value came from a
    # NaN token in the file.
    nan_token = np.isnan(column) & ~is_null & ~reported
    infinite = np.isinf(column)
    checks = [(nan_token, "log-probability is NaN" if logprob else "is NaN"),
              (infinite, "log-probability is infinite" if logprob else "is infinite")]
    for mask, message in checks:
        for i in np.flatnonzero(mask)[:MAX_PROBLEMS]:
            log.add(parsed.source, parsed.at(i), field_name, message)
    if logprob:
        with np.errstate(invalid="ignore"):
            positive = np.flatnonzero(column > 0)
        for i in positive[:MAX_PROBLEMS]:
            log.add(parsed.source, parsed.at(i), field_name,
                    f"log-probability {column[i]} is positive (a probability above one)")
    return np.where(np.isfinite(column), column, np.nan)


def _slow_float_column(values, parsed, field_name, log, missing_ok):
    """Row-by-row conversion, used only when a column holds non-numbers."""
    column = np.full(len(values), np.nan)
    is_null = np.zeros(len(values), dtype=bool)
    reported = np.zeros(len(values), dtype=bool)
    for i, value in enumerate(values):
        if value is MISSING and missing_ok:
            is_null[i] = True
            continue
        problem = number_problem(value)
        if problem:
            log.add(parsed.source, parsed.at(i), field_name, problem)
            reported[i] = True
        elif value is None:
            is_null[i] = True
        else:
            column[i] = float(value)
    return column, is_null, reported


def _prompt_ids(parsed: ParsedFile, log: ProblemLog, *, unique: bool) -> np.ndarray:
    values = field_values(parsed.rows, "prompt_id")
    ids = np.empty(len(values), dtype=object)
    if {type(v) for v in values} <= {str}:
        ids[:] = values
        values = []
    for i, value in enumerate(values):
        if isinstance(value, bool) or not isinstance(value, (str, int)):
            log.add(parsed.source, parsed.at(i), "prompt_id",
                    "missing" if value is MISSING else "must be a string")
            ids[i] = None
        else:
            ids[i] = str(value)
    if unique:
        index = pd.Index(ids)
        for i in np.flatnonzero(index.duplicated() & pd.notna(ids))[:MAX_PROBLEMS]:
            first = int(np.flatnonzero(ids == ids[i])[0])
            log.add(parsed.source, parsed.at(i), "prompt_id",
                    f"duplicate of line {parsed.at(first)} ({ids[i]})")
    return ids


def _target_logprobs(parsed: ParsedFile, log: ProblemLog) -> dict[str, np.ndarray]:
    """One column per target policy; a policy absent from a row is null there."""
    targets = [row.get("target_policy_logprobs", MISSING) for row in parsed.rows]
    policies: dict[str, None] = {}
    for i, value in enumerate(targets):
        if isinstance(value, dict):
            policies.update(dict.fromkeys(value))
        else:
            problem = "missing" if value is MISSING else "must be an object {policy: logprob}"
            log.add(parsed.source, parsed.at(i), "target_policy_logprobs", problem)
            targets[i] = {}
    return {
        str(policy): float_column([t.get(policy) for t in targets], parsed,
                                  f"target_policy_logprobs.{policy}", log,
                                  nullable=True, missing_ok=True, logprob=True)
        for policy in sorted(policies)
    }


@dataclass(frozen=True)
class _RawLogged:
    """A logged file's columns; the parsed rows themselves are not kept, so a
    large file's JSON objects are freed as soon as its columns exist."""

    parsed: ParsedFile
    prompt: np.ndarray
    response: np.ndarray
    prompt_id: np.ndarray
    judge: np.ndarray
    oracle: np.ndarray
    reward: np.ndarray
    base: np.ndarray
    targets: dict[str, np.ndarray]
    from_metadata: int


def _read_logged(path: Path, log: ProblemLog) -> _RawLogged:
    parsed = parse_jsonl(path, log)
    rows = parsed.rows
    base_values = [row.get("base_policy_logprob", MISSING) for row in rows]
    return _RawLogged(
        parsed=ParsedFile(parsed.source, [], parsed.lines),
        prompt=np.array([row.get("prompt") for row in rows], dtype=object),
        response=np.array([row.get("response") for row in rows], dtype=object),
        prompt_id=_prompt_ids(parsed, log, unique=True),
        judge=float_column(field_values(rows, "judge_score"), parsed, "judge_score", log,
                           nullable=False, missing_ok=False),
        oracle=float_column(field_values(rows, "oracle_label"), parsed, "oracle_label", log,
                            nullable=True, missing_ok=True),
        reward=float_column(field_values(rows, "reward"), parsed, "reward", log,
                            nullable=True, missing_ok=True),
        base=float_column(base_values, parsed, "base_policy_logprob", log,
                          nullable=True, missing_ok=False, logprob=True),
        targets=_target_logprobs(parsed, log),
        from_metadata=sum(1 for row in rows if "prompt_id" not in row and "metadata" in row),
    )


@dataclass(frozen=True)
class _RawFresh:
    policy: str
    parsed: ParsedFile
    prompt_id: np.ndarray
    judge: np.ndarray
    oracle: np.ndarray
    n_failed: int


def _read_fresh(path: Path, policy: str, log: ProblemLog) -> _RawFresh:
    """Fresh draws; failed generations (``response: null``) and unscored
    responses (``judge_score: null``) are skipped and counted, not errors."""
    parsed = parse_jsonl(path, log)
    judge_values = field_values(parsed.rows, "judge_score")
    usable = np.array([row.get("response", "") is not None and judge is not None
                       for row, judge in zip(parsed.rows, judge_values)], dtype=bool)
    kept = ParsedFile(parsed.source, [r for r, u in zip(parsed.rows, usable) if u], parsed.lines[usable])
    ids = _prompt_ids(kept, log, unique=False)
    draw = [row.get("draw_idx", 0) for row in kept.rows]
    keys = pd.MultiIndex.from_arrays([pd.Index(ids, dtype=object), pd.Index(draw, dtype=object)])
    for i in np.flatnonzero(keys.duplicated())[:MAX_PROBLEMS]:
        log.add(kept.source, kept.at(i), "prompt_id", f"duplicate draw ({ids[i]}, draw_idx {draw[i]})")
    return _RawFresh(
        policy=policy,
        parsed=ParsedFile(kept.source, [], kept.lines),
        prompt_id=ids,
        judge=float_column(field_values(kept.rows, "judge_score"), kept, "judge_score", log,
                           nullable=False, missing_ok=False),
        oracle=float_column(field_values(kept.rows, "oracle_label"), kept, "oracle_label", log,
                            nullable=True, missing_ok=True),
        n_failed=int((~usable).sum()),
    )


def _check_range(values: np.ndarray, parsed: ParsedFile, scale: str, field_name: str,
                 log: ProblemLog) -> None:
    for i in np.flatnonzero(outside(values, scale))[:MAX_PROBLEMS]:
        log.add(parsed.source, parsed.at(i), field_name, f"{values[i]} is outside the {scale} scale")


def _resolve_scale(declared: str, per_file: dict[str, np.ndarray], what: str, option: str) -> str:
    if declared != "auto":
        return declared
    detected = {source: detect_scale(values) for source, values in per_file.items()
                if np.isfinite(values).any()}
    scales = set(detected.values())
    if len(scales) > 1:
        listing = "; ".join(f"{source}: {scale}" for source, scale in detected.items())
        raise ScaleMismatchError(
            f"{what} look like different scales in different files ({listing}). "
            f"Declare the scale with {option}."
        )
    return scales.pop() if scales else "0-1"


def load_dataset(
    path: str | Path,
    fresh_draws_dir: str | Path | None = None,
    *,
    judge_scale: str = "auto",
    oracle_scale: str = "auto",
) -> Dataset:
    """Read, validate and normalise a dataset and the fresh draws of its policies.

    ``fresh_draws_dir`` defaults to ``responses/`` beside the dataset; a policy
    without a ``{policy}_responses.jsonl`` there simply has no fresh draws.
    """
    path = Path(path)
    log = ProblemLog()
    logged = _read_logged(path, log)
    if not logged.parsed.lines.size:
        log.add(str(path), None, "file", "holds no rows")
        log.raise_if_any()
    fresh_dir = Path(fresh_draws_dir) if fresh_draws_dir else path.parent / "responses"
    fresh = {
        policy: _read_fresh(fresh_dir / f"{policy}_responses.jsonl", policy, log)
        for policy in logged.targets
        if (fresh_dir / f"{policy}_responses.jsonl").exists()
    }
    judge_scale = _resolve_scale(
        judge_scale, {logged.parsed.source: logged.judge, **{f.parsed.source: f.judge for f in fresh.values()}},
        "judge scores", "--judge-scale")
    oracle_scale = _resolve_scale(
        oracle_scale, {logged.parsed.source: logged.oracle, **{f.parsed.source: f.oracle for f in fresh.values()}},
        "oracle labels", "--oracle-scale")
    _check_range(logged.judge, logged.parsed, judge_scale, "judge_score", log)
    _check_range(logged.oracle, logged.parsed, oracle_scale, "oracle_label", log)
    _check_range(logged.reward, logged.parsed, "0-1", "reward", log)
    for f in fresh.values():
        _check_range(f.judge, f.parsed, judge_scale, "judge_score", log)
        _check_range(f.oracle, f.parsed, oracle_scale, "oracle_label", log)
    log.raise_if_any()
    return _assemble(logged, fresh, judge_scale, oracle_scale)


def _assemble(logged: _RawLogged, fresh: dict[str, _RawFresh], judge_scale: str,
              oracle_scale: str) -> Dataset:
    table = LoggedTable(
        prompt_id=logged.prompt_id,
        judge_score=to_unit(logged.judge, judge_scale),
        oracle_label=to_unit(logged.oracle, oracle_scale),
        reward=logged.reward,
        base_logprob=logged.base,
        target_logprob=logged.targets,
        source=logged.parsed.source,
        line=logged.parsed.lines,
        prompt=logged.prompt,
        response=logged.response,
    )
    tables = {
        p: FreshTable(p, f.prompt_id, to_unit(f.judge, judge_scale), to_unit(f.oracle, oracle_scale),
                      f.parsed.source)
        for p, f in fresh.items()
    }
    notes = [f"{f.parsed.source}: {f.n_failed} failed or unscored responses skipped"
             for f in fresh.values() if f.n_failed]
    if logged.from_metadata:
        notes.insert(0, f"{logged.parsed.source}: prompt_id read from metadata in "
                        f"{logged.from_metadata} rows")
    return Dataset(logged=table, fresh=tables, judge_scale=judge_scale, oracle_scale=oracle_scale,
                   notes=tuple(notes))
