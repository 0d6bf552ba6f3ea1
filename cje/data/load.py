"""Load a dataset JSONL and its fresh draws into validated columns.

Validation is loud: every problem is recorded as ``file:line: field: problem``
and, if there is any, one :class:`DataValidationError` lists them all (up to
``MAX_PROBLEMS``). ``prompt_id``, ``judge_score`` and ``oracle_label`` may sit
at the top level or inside ``metadata``; the top level wins when both exist.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

import numpy as np

from cje.data.scales import detect_scale, outside, to_unit
from cje.data.tables import Dataset, FreshTable, LoggedTable
from cje.errors import DataValidationError, InputProblem, ScaleMismatchError

MAX_PROBLEMS = 50
NESTED_FIELDS = ("prompt_id", "judge_score", "oracle_label")
_MISSING = object()


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


def read_json_lines(path: Path, log: ProblemLog) -> Iterator[tuple[int, dict]]:
    """Yield ``(line_number, object)`` for each non-blank line; record lines
    that are not JSON objects."""
    try:
        handle = path.open("r", encoding="utf-8")
    except OSError as error:
        log.add(str(path), None, "file", f"cannot be read ({error.strerror})")
        return
    with handle:
        for number, text in enumerate(handle, start=1):
            if not text.strip():
                continue
            try:
                value = json.loads(text)
            except json.JSONDecodeError as error:
                log.add(str(path), number, "line", f"not valid JSON ({error.msg})")
                continue
            if not isinstance(value, dict):
                log.add(str(path), number, "line", "not a JSON object")
                continue
            yield number, value


def lookup(row: dict, name: str) -> object:
    """A field from the top level, else from ``metadata`` (for the nested ones)."""
    if name in row:
        return row[name]
    metadata = row.get("metadata")
    if name in NESTED_FIELDS and isinstance(metadata, dict) and name in metadata:
        return metadata[name]
    return _MISSING


def number_or_none(value: object) -> float | None | str:
    """A float, None for null, or a description of why it is not a number."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return f"is not a number ({json.dumps(value)[:40]})"
    return float(value)


def logprob_problem(value: float) -> str | None:
    if math.isnan(value):
        return "log-probability is NaN"
    if math.isinf(value):
        return "log-probability is infinite"
    if value > 0:
        return f"log-probability {value} is positive (a probability above one)"
    return None


@dataclass
class _LoggedColumns:
    prompt_id: list = field(default_factory=list)
    prompt: list = field(default_factory=list)
    response: list = field(default_factory=list)
    judge: list = field(default_factory=list)
    oracle: list = field(default_factory=list)
    reward: list = field(default_factory=list)
    base: list = field(default_factory=list)
    targets: list = field(default_factory=list)
    line: list = field(default_factory=list)


def _required_number(row, name, source, number, log, *, nullable) -> float:
    raw = lookup(row, name)
    if raw is _MISSING:
        if nullable:
            return math.nan
        log.add(source, number, name, "missing")
        return math.nan
    value = number_or_none(raw)
    if isinstance(value, str):
        log.add(source, number, name, value)
        return math.nan
    if value is None:
        if not nullable:
            log.add(source, number, name, "is null")
        return math.nan
    if math.isnan(value) or math.isinf(value):
        log.add(source, number, name, "is not finite")
        return math.nan
    return value


def _read_logprob(value: object, source: str, number: int, name: str, log: ProblemLog) -> float:
    parsed = number_or_none(value)
    if parsed is None:
        return math.nan
    if isinstance(parsed, str):
        log.add(source, number, name, parsed)
        return math.nan
    problem = logprob_problem(parsed)
    if problem:
        log.add(source, number, name, problem)
        return math.nan
    return parsed


def _read_logged_row(row: dict, number: int, source: str, log: ProblemLog, cols: _LoggedColumns,
                     seen: dict[str, int]) -> None:
    pid = lookup(row, "prompt_id")
    if pid is _MISSING or pid is None or not isinstance(pid, (str, int)) or isinstance(pid, bool):
        log.add(source, number, "prompt_id", "missing" if pid is _MISSING else "must be a string")
        return
    pid = str(pid)
    if pid in seen:
        log.add(source, number, "prompt_id", f"duplicate of line {seen[pid]} ({pid})")
        return
    seen[pid] = number
    base_raw = row.get("base_policy_logprob", _MISSING)
    if base_raw is _MISSING:
        log.add(source, number, "base_policy_logprob", "missing")
        base_raw = None
    targets_raw = row.get("target_policy_logprobs", _MISSING)
    if not isinstance(targets_raw, dict):
        problem = "missing" if targets_raw is _MISSING else "must be an object {policy: logprob}"
        log.add(source, number, "target_policy_logprobs", problem)
        targets_raw = {}
    cols.prompt_id.append(pid)
    cols.line.append(number)
    cols.prompt.append(row.get("prompt"))
    cols.response.append(row.get("response"))
    cols.judge.append(_required_number(row, "judge_score", source, number, log, nullable=False))
    cols.oracle.append(_required_number(row, "oracle_label", source, number, log, nullable=True))
    cols.reward.append(_required_number(row, "reward", source, number, log, nullable=True))
    cols.base.append(_read_logprob(base_raw, source, number, "base_policy_logprob", log))
    cols.targets.append({
        str(policy): _read_logprob(value, source, number, f"target_policy_logprobs.{policy}", log)
        for policy, value in targets_raw.items()
    })


def _check_range(values, lines, scale, source, field_name, log) -> None:
    for i in np.flatnonzero(outside(values, scale))[:MAX_PROBLEMS]:
        log.add(source, int(lines[i]), field_name, f"{values[i]} is outside the {scale} scale")


def _resolve_scale(declared: str, per_file: dict[str, np.ndarray], what: str) -> str:
    if declared != "auto":
        return declared
    detected = {source: detect_scale(values) for source, values in per_file.items() if values.size}
    scales = set(detected.values())
    if len(scales) > 1:
        listing = "; ".join(f"{source}: {scale}" for source, scale in detected.items())
        raise ScaleMismatchError(
            f"{what} look like different scales in different files ({listing}). "
            f"Declare the scale with --{what.replace('_', '-')}-scale."
        )
    return scales.pop() if scales else "0-1"


@dataclass(frozen=True)
class RawFresh:
    policy: str
    source: str
    prompt_id: np.ndarray
    judge: np.ndarray
    oracle: np.ndarray
    line: np.ndarray
    n_failed: int


def _read_fresh_file(path: Path, policy: str, log: ProblemLog) -> RawFresh:
    source = str(path)
    pids, judges, oracles, lines = [], [], [], []
    seen: dict[tuple[str, object], int] = {}
    failed = 0
    for number, row in read_json_lines(path, log):
        pid = lookup(row, "prompt_id")
        if not isinstance(pid, (str, int)) or isinstance(pid, bool):
            log.add(source, number, "prompt_id", "missing" if pid is _MISSING else "must be a string")
            continue
        key = (str(pid), row.get("draw_idx", 0))
        if key in seen:
            log.add(source, number, "prompt_id", f"duplicate draw of line {seen[key]} ({pid})")
            continue
        seen[key] = number
        if row.get("response", "") is None or lookup(row, "judge_score") is None:
            failed += 1  # a failed generation or an unscored response: not a draw
            continue
        pids.append(str(pid))
        judges.append(_required_number(row, "judge_score", source, number, log, nullable=False))
        oracles.append(_required_number(row, "oracle_label", source, number, log, nullable=True))
        lines.append(number)
    return RawFresh(policy, source, np.array(pids, dtype=object), np.array(judges, dtype=float),
                    np.array(oracles, dtype=float), np.array(lines, dtype=np.int64), failed)


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
    cols = _LoggedColumns()
    seen: dict[str, int] = {}
    for number, row in read_json_lines(path, log):
        _read_logged_row(row, number, str(path), log, cols, seen)
    if not cols.prompt_id and not log.problems:
        log.add(str(path), None, "file", "holds no rows")
    log.raise_if_any()
    policies = sorted({p for targets in cols.targets for p in targets})
    fresh_dir = Path(fresh_draws_dir) if fresh_draws_dir else path.parent / "responses"
    raw_fresh = {
        policy: _read_fresh_file(fresh_dir / f"{policy}_responses.jsonl", policy, log)
        for policy in policies
        if (fresh_dir / f"{policy}_responses.jsonl").exists()
    }
    log.raise_if_any()
    return _assemble(path, cols, policies, raw_fresh, judge_scale, oracle_scale, log)


def _assemble(path, cols, policies, raw_fresh, judge_scale, oracle_scale, log) -> Dataset:
    source = str(path)
    lines = np.array(cols.line, dtype=np.int64)
    judge = np.array(cols.judge, dtype=float)
    oracle = np.array(cols.oracle, dtype=float)
    reward = np.array(cols.reward, dtype=float)
    judge_by_file = {source: judge, **{f.source: f.judge for f in raw_fresh.values()}}
    oracle_by_file = {source: oracle, **{f.source: f.oracle for f in raw_fresh.values()}}
    judge_scale = _resolve_scale(judge_scale, judge_by_file, "judge_scores")
    oracle_scale = _resolve_scale(oracle_scale, oracle_by_file, "oracle_labels")
    _check_range(judge, lines, judge_scale, source, "judge_score", log)
    _check_range(oracle, lines, oracle_scale, source, "oracle_label", log)
    _check_range(reward, lines, "0-1", source, "reward", log)
    for fresh in raw_fresh.values():
        _check_range(fresh.judge, fresh.line, judge_scale, fresh.source, "judge_score", log)
        _check_range(fresh.oracle, fresh.line, oracle_scale, fresh.source, "oracle_label", log)
    log.raise_if_any()
    targets = {p: np.array([t.get(p, math.nan) for t in cols.targets], dtype=float) for p in policies}
    logged = LoggedTable(
        prompt_id=np.array(cols.prompt_id, dtype=object),
        judge_score=to_unit(judge, judge_scale),
        oracle_label=to_unit(oracle, oracle_scale),
        reward=reward,
        base_logprob=np.array(cols.base, dtype=float),
        target_logprob=targets,
        source=source,
        line=lines,
        prompt=np.array(cols.prompt, dtype=object),
        response=np.array(cols.response, dtype=object),
    )
    fresh = {
        p: FreshTable(p, f.prompt_id, to_unit(f.judge, judge_scale), to_unit(f.oracle, oracle_scale), f.source)
        for p, f in raw_fresh.items()
    }
    notes = tuple(
        f"{f.source}: {f.n_failed} failed or unscored responses skipped"
        for f in raw_fresh.values() if f.n_failed
    )
    return Dataset(logged=logged, fresh=fresh, judge_scale=judge_scale, oracle_scale=oracle_scale,
                   notes=notes)
