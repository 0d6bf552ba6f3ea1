"""Turn parsed rows into validated numpy columns.

Each field becomes a column in one pass and is checked with vectorised tests;
only a column that holds something other than numbers and nulls is walked row
by row, to name the bad rows.
"""

from __future__ import annotations

import json

import numpy as np

from cje.data.jsonl import MAX_PROBLEMS, MISSING, ParsedFile, ProblemLog, _Missing
from cje.data.keys import duplicates
from cje.io.names import POLICY_NAME_RULE, is_policy_name

NESTED_FIELDS = ("prompt_id", "judge_score", "oracle_label")
_NUMERIC_TYPES = {int, float, type(None)}

MIN_PLAUSIBLE_LOGPROB = -1e5
"""Even a 10,000-token response at -10 nats per token stays above this; a
smaller finite log-probability is a sentinel or a bug, never a measurement."""


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
            absurd = np.flatnonzero(column < MIN_PLAUSIBLE_LOGPROB)
        for i in positive[:MAX_PROBLEMS]:
            log.add(parsed.source, parsed.at(i), field_name,
                    f"log-probability {column[i]} is positive (a probability above one)")
        for i in absurd[:MAX_PROBLEMS]:
            log.add(parsed.source, parsed.at(i), field_name,
                    f"log-probability {column[i]:.3g} is below {MIN_PLAUSIBLE_LOGPROB:.0e}, beyond any real "
                    "response (a sentinel for 'impossible'? use null for a missing value)")
    return np.where(np.isfinite(column), column, np.nan)


def _slow_float_column(values: list, parsed: ParsedFile, field_name: str, log: ProblemLog,
                       missing_ok: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
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


def prompt_ids(parsed: ParsedFile, log: ProblemLog, *, unique: bool) -> np.ndarray:
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
        for i, first in duplicates(ids.tolist())[:MAX_PROBLEMS]:
            log.add(parsed.source, parsed.at(i), "prompt_id",
                    f"duplicate of line {parsed.at(first)} ({ids[i]})")
    return ids


def target_logprobs(parsed: ParsedFile, log: ProblemLog) -> dict[str, np.ndarray]:
    """One column per target policy; a policy absent from a row is null there."""
    targets = [row.get("target_policy_logprobs", MISSING) for row in parsed.rows]
    policies: dict[str, None] = {}
    for i, value in enumerate(targets):
        if isinstance(value, dict):
            for name in value:
                if name not in policies and not is_policy_name(name):
                    log.add(parsed.source, parsed.at(i), "target_policy_logprobs",
                            f"policy name {str(name)[:80]!r} is not allowed: a policy name is {POLICY_NAME_RULE}")
            policies.update(dict.fromkeys(n for n in value if is_policy_name(n)))
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
