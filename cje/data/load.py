"""Load a dataset JSONL and its fresh draws into validated columns.

Validation is loud: every problem is recorded as ``file:line: field: problem``
and, if there is any, one :class:`DataValidationError` lists them all (up to
``MAX_PROBLEMS``). ``prompt_id``, ``judge_score`` and ``oracle_label`` may sit
at the top level or inside ``metadata``; the top level wins when both exist.

Parsing is in :mod:`cje.data.jsonl`, column checks in :mod:`cje.data.columns`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from cje.data.columns import field_values, float_column, prompt_ids, target_logprobs
from cje.data.covariates import covariate_columns
from cje.data.jsonl import MAX_PROBLEMS, MISSING, ParsedFile, ProblemLog, parse_jsonl
from cje.data.keys import duplicates
from cje.data.probes import attach_probe_labels
from cje.data.scales import AMBIGUOUS, detect_scale, outside, to_unit
from cje.data.tables import Dataset, FreshTable, LoggedTable
from cje.errors import DataValidationError, InputProblem, ScaleMismatchError
from cje.io.names import is_policy_name

RESPONSES_SUFFIX = "_responses.jsonl"


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
    covariates: dict[str, np.ndarray]


def _read_logged(parsed: ParsedFile, log: ProblemLog, covariates: tuple[str, ...]) -> _RawLogged:
    _refuse_a_fresh_draws_file(parsed)
    rows = parsed.rows
    base_values = [row.get("base_policy_logprob", MISSING) for row in rows]
    return _RawLogged(
        parsed=ParsedFile(parsed.source, [], parsed.lines),
        prompt=np.array([row.get("prompt") for row in rows], dtype=object),
        response=np.array([row.get("response") for row in rows], dtype=object),
        prompt_id=prompt_ids(parsed, log, unique=True),
        judge=float_column(field_values(rows, "judge_score"), parsed, "judge_score", log,
                           nullable=False, missing_ok=False),
        oracle=float_column(field_values(rows, "oracle_label"), parsed, "oracle_label", log,
                            nullable=True, missing_ok=True),
        reward=float_column(field_values(rows, "reward"), parsed, "reward", log,
                            nullable=True, missing_ok=True),
        base=float_column(base_values, parsed, "base_policy_logprob", log,
                          nullable=True, missing_ok=False, logprob=True),
        targets=target_logprobs(parsed, log),
        from_metadata=sum(1 for row in rows if "prompt_id" not in row and "metadata" in row),
        covariates=covariate_columns(parsed, covariates, log),
    )


def _refuse_a_fresh_draws_file(parsed: ParsedFile) -> None:
    """One clear message instead of a missing-field error on every line."""
    rows = parsed.rows
    if not rows or any("target_policy_logprobs" in row for row in rows):
        return
    looks_fresh = parsed.source.endswith(RESPONSES_SUFFIX) or any(
        "policy" in row or "draw_idx" in row or "target_policy_logprob" in row for row in rows[:100])
    if looks_fresh:
        raise DataValidationError([InputProblem(
            parsed.source, None, "file",
            "this looks like a fresh-draws file (one policy's responses: no row has target_policy_logprobs), "
            "not a dataset. Pass the dataset with --data (the pipeline writes DATA_DIR/cje_dataset.jsonl); "
            "fresh draws are read from responses/ beside it (--fresh-draws-dir)")])


def _draw_numbers(kept: ParsedFile, log: ProblemLog) -> list[object]:
    """Each draw's ``draw_idx`` (0 when absent); a value that is not a non-negative
    integer is a problem (and a placeholder that matches nothing)."""
    draws: list[object] = []
    for i, row in enumerate(kept.rows):
        value = row.get("draw_idx", 0)
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            log.add(kept.source, kept.at(i), "draw_idx",
                    f"must be a non-negative integer, found {json.dumps(value, default=str)[:40]}")
            value = f"invalid-{i}"
        draws.append(value)
    return draws


@dataclass(frozen=True)
class _RawFresh:
    policy: str
    parsed: ParsedFile
    prompt_id: np.ndarray
    judge: np.ndarray
    oracle: np.ndarray
    target_logprob: np.ndarray
    logger_logprob: np.ndarray
    n_failed: int
    covariates: dict[str, np.ndarray]
    n_probe_labels: int = 0


def _read_fresh(parsed: ParsedFile, policy: str, log: ProblemLog, probe: ParsedFile | None,
                covariates: tuple[str, ...]) -> _RawFresh:
    """Fresh draws; failed generations (``response: null``) and unscored
    responses (``judge_score: null``) are skipped and counted, not errors.
    Labels from ``probe`` (a policy's probe slice) are attached to the draws."""
    judge_values = field_values(parsed.rows, "judge_score")
    usable = np.array([row.get("response", "") is not None and judge is not None
                       for row, judge in zip(parsed.rows, judge_values)], dtype=bool)
    kept = ParsedFile(parsed.source, [r for r, u in zip(parsed.rows, usable) if u], parsed.lines[usable])
    ids = prompt_ids(kept, log, unique=False)
    draw = _draw_numbers(kept, log)
    for i, _first in duplicates(list(zip(ids.tolist(), draw)))[:MAX_PROBLEMS]:
        log.add(kept.source, kept.at(i), "prompt_id", f"duplicate draw ({ids[i]}, draw_idx {draw[i]})")
    oracle = float_column(field_values(kept.rows, "oracle_label"), kept, "oracle_label", log,
                          nullable=True, missing_ok=True)
    n_probe = 0
    if probe is not None:
        responses = np.array([row.get("response") for row in kept.rows], dtype=object)
        before = np.isfinite(oracle).sum()
        oracle = attach_probe_labels(ids, np.array(draw, dtype=object), responses, oracle, probe=probe, log=log)
        n_probe = int(np.isfinite(oracle).sum() - before)
    return _RawFresh(
        policy=policy,
        parsed=ParsedFile(kept.source, [], kept.lines),
        prompt_id=ids,
        judge=float_column(field_values(kept.rows, "judge_score"), kept, "judge_score", log,
                           nullable=False, missing_ok=False),
        oracle=oracle,
        target_logprob=float_column(field_values(kept.rows, "target_policy_logprob"), kept,
                                    "target_policy_logprob", log, nullable=True, missing_ok=True, logprob=True),
        logger_logprob=float_column(field_values(kept.rows, "base_policy_logprob"), kept,
                                    "base_policy_logprob", log, nullable=True, missing_ok=True, logprob=True),
        n_failed=int((~usable).sum()),
        covariates=covariate_columns(kept, covariates, log),
        n_probe_labels=n_probe,
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
    ambiguous = [source for source, scale in detected.items() if scale == AMBIGUOUS]
    if ambiguous:
        raise ScaleMismatchError(
            f"{what} in {ambiguous[0]} all lie between 1 and 10: that could be the 1-10 or the 0-10 scale "
            f"(or a 0-100 scale that never went above 10), and the readings differ. "
            f"Declare the scale with {option} 1-10 (or 0-10, 0-100)."
        )
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
    probe_dir: str | Path | None = None,
    covariates: tuple[str, ...] = (),
) -> Dataset:
    """Read, validate and normalise a dataset and the fresh draws of its policies.

    ``fresh_draws_dir`` defaults to ``responses/`` beside the dataset; a policy
    without a ``{policy}_responses.jsonl`` there simply has no fresh draws.
    ``probe_dir`` may hold ``{policy}_probe.jsonl`` files whose oracle labels
    are attached to the matching fresh draws (see :mod:`cje.data.probes`).
    ``covariates`` name numeric fields to load from every row and draw (see
    :mod:`cje.data.covariates`).
    """
    path = Path(path)
    log = ProblemLog()
    # Each file's rows are parsed straight into columns and freed: a large
    # file's JSON objects never outlive its own step.
    logged = _read_logged(parse_jsonl(path, log), log, covariates)
    if not logged.parsed.lines.size:
        log.add(str(path), None, "file", "holds no rows")
        log.raise_if_any()
    fresh_dir = Path(fresh_draws_dir) if fresh_draws_dir else path.parent / "responses"
    fresh = {
        policy: _read_fresh(parse_jsonl(fresh_dir / f"{policy}_responses.jsonl", log), policy, log,
                            _probe_file(probe_dir, policy, log), covariates)
        for policy in logged.targets
        if (fresh_dir / f"{policy}_responses.jsonl").exists()
    }
    notes = _unused_fresh_files(fresh_dir, logged.targets)
    return _validated(logged, fresh, judge_scale=judge_scale, oracle_scale=oracle_scale, log=log, notes=notes)


def _probe_file(probe_dir: str | Path | None, policy: str, log: ProblemLog) -> ParsedFile | None:
    path = Path(probe_dir) / f"{policy}_probe.jsonl" if probe_dir else None
    return parse_jsonl(path, log) if path is not None and path.exists() else None


def load_records(
    logged: Sequence[Mapping[str, Any]],
    fresh_draws: Mapping[str, Sequence[Mapping[str, Any]]] | None = None,
    *,
    judge_scale: str = "auto",
    oracle_scale: str = "auto",
    probes: Mapping[str, Sequence[Mapping[str, Any]]] | None = None,
    covariates: tuple[str, ...] = (),
) -> Dataset:
    """:func:`load_dataset` for rows already in memory: each row a mapping
    shaped like one line of the files; ``fresh_draws`` and ``probes`` are keyed
    by policy. A problem names its row as ``<logged rows>:N`` (N from 1)."""
    log = ProblemLog()
    table = _read_logged(_in_memory("<logged rows>", logged, log), log, covariates)
    if not table.parsed.lines.size:
        log.add("<logged rows>", None, "rows", "none given")
        log.raise_if_any()
    probes = probes or {}
    fresh = {
        policy: _read_fresh(_in_memory(f"<fresh draws of {policy}>", rows, log), policy, log,
                            _in_memory(f"<probe rows of {policy}>", probes[policy], log) if policy in probes else None,
                            covariates)
        for policy, rows in (fresh_draws or {}).items()
        if policy in table.targets
    }
    return _validated(table, fresh, judge_scale=judge_scale, oracle_scale=oracle_scale, log=log, notes=[])


def _in_memory(source: str, rows: Sequence[Mapping[str, Any]], log: ProblemLog) -> ParsedFile:
    kept, lines = [], []
    for number, row in enumerate(rows, start=1):
        if isinstance(row, Mapping):
            kept.append(dict(row))
            lines.append(number)
        else:
            log.add(source, number, "row", f"is a {type(row).__name__}, not a mapping of fields")
    return ParsedFile(source, kept, np.array(lines, dtype=np.int64))


def _validated(logged: _RawLogged, fresh: Mapping[str, _RawFresh], *, judge_scale: str, oracle_scale: str,
               log: ProblemLog, notes: list[str]) -> Dataset:
    """Resolve the scales, check every value against them, and assemble
    (``notes`` say what the reading skipped)."""
    notes = notes + _unknown_prompts(logged, fresh)
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
    return _assemble(logged, dict(fresh), judge_scale, oracle_scale, notes)


def _unused_fresh_files(fresh_dir: Path, targets: dict[str, np.ndarray]) -> list[str]:
    """Fresh-draw files of policies the dataset has no log-probs for: said, not silently skipped."""
    if not fresh_dir.is_dir():
        return []
    notes = []
    for path in sorted(fresh_dir.glob(f"*{RESPONSES_SUFFIX}")):
        policy = path.name[: -len(RESPONSES_SUFFIX)]
        if policy in targets:
            continue
        what = ("its name is not a policy name" if not is_policy_name(policy)
                else f"the dataset has no target_policy_logprobs for {policy!r} (the logging policy's own "
                     "responses, or a policy without log-probs)")
        notes.append(f"{path}: not read: {what}")
    return notes


def _unknown_prompts(logged: _RawLogged, fresh: Mapping[str, _RawFresh]) -> list[str]:
    """Fresh draws of prompt_ids the dataset does not have, counted per policy."""
    known = set(logged.prompt_id.tolist())
    notes = []
    for policy, draws in fresh.items():
        unknown = [pid for pid in draws.prompt_id.tolist() if pid not in known]
        if unknown:
            notes.append(f"{draws.parsed.source}: {len(unknown)} fresh draws of {policy} have a prompt_id that is "
                         f"not in the dataset (e.g. {unknown[0]!r})")
    return notes


def _assemble(logged: _RawLogged, fresh: dict[str, _RawFresh], judge_scale: str,
              oracle_scale: str, extra_notes: list[str]) -> Dataset:
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
        covariates=logged.covariates,
    )
    tables = {
        p: FreshTable(p, f.prompt_id, to_unit(f.judge, judge_scale), to_unit(f.oracle, oracle_scale),
                      f.parsed.source, target_logprob=f.target_logprob, logger_logprob=f.logger_logprob,
                      covariates=f.covariates)
        for p, f in fresh.items()
    }
    notes = [f"{f.parsed.source}: {f.n_failed} failed or unscored responses skipped"
             for f in fresh.values() if f.n_failed]
    notes += [f"{p}: {f.n_probe_labels} oracle labels attached from its probe slice"
              for p, f in fresh.items() if f.n_probe_labels]
    if logged.from_metadata:
        notes.insert(0, f"{logged.parsed.source}: prompt_id read from metadata in "
                        f"{logged.from_metadata} rows")
    notes += extra_notes
    return Dataset(logged=table, fresh=tables, judge_scale=judge_scale, oracle_scale=oracle_scale,
                   notes=tuple(notes))
