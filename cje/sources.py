"""An analysis's inputs: dataset files, rows in memory, or pandas DataFrames,
loaded into a :class:`Dataset` together with a record of what was read."""

from __future__ import annotations

import json
import math
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cje.data.load import load_dataset, load_records
from cje.data.tables import Dataset, FreshTable, LoggedTable
from cje.errors import CJEError
from cje.report.provenance import InputFile, Sources, combined_sha256, input_file


@dataclass(frozen=True)
class Loaded:
    """A loaded dataset and the record of what was read to make it."""

    dataset: Dataset
    sources: Sources


DataSource = str | Path | Sequence[Mapping[str, Any]] | Dataset | Loaded | Any
"""A dataset JSONL path, a sequence of row mappings, a pandas DataFrame, a
:class:`Dataset`, or what :func:`load` returned."""
RowsByPolicy = Mapping[str, Sequence[Mapping[str, Any]] | Any]
"""Rows (or a DataFrame) per policy."""


def load(
    data: DataSource,
    *,
    fresh_draws: str | Path | RowsByPolicy | None = None,
    probes: str | Path | RowsByPolicy | None = None,
    judge_scale: str = "auto",
    oracle_scale: str = "auto",
    covariates: tuple[str, ...] = (),
) -> Loaded:
    """Load ``data`` with its fresh draws and probe slices (and the named
    calibration ``covariates`` of every row, see :mod:`cje.data.covariates`).

    With a path, ``fresh_draws`` and ``probes`` are directories (fresh draws
    default to ``responses/`` beside the dataset) and every file read is
    hashed. With rows or DataFrames they map each policy to its rows.
    """
    if isinstance(data, Loaded):
        return data
    if isinstance(data, Dataset):
        return Loaded(data, Sources("memory", (), _dataset_sha256(data)))
    if isinstance(data, (str, Path)):
        return _load_files(Path(data), fresh_draws, probes, judge_scale, oracle_scale, covariates=covariates)
    if isinstance(fresh_draws, (str, Path)) or isinstance(probes, (str, Path)):
        raise CJEError("rows in memory take their fresh draws and probes as rows too: {policy: rows}")
    logged = records(data)
    fresh = {policy: records(rows) for policy, rows in (fresh_draws or {}).items()}
    probe = {policy: records(rows) for policy, rows in (probes or {}).items()}
    dataset = load_records(logged, fresh, probes=probe, judge_scale=judge_scale, oracle_scale=oracle_scale,
                           covariates=covariates)
    parts = [_rows_sha256("logged", logged)]
    parts += [_rows_sha256(f"fresh-draws {p}", rows) for p, rows in fresh.items()]
    parts += [_rows_sha256(f"probe {p}", rows) for p, rows in probe.items()]
    return Loaded(dataset, Sources("memory", (), combined_sha256(parts)))


def records(rows: Sequence[Mapping[str, Any]] | Any) -> list[Mapping[str, Any]]:
    """Rows as a list of mappings; a pandas DataFrame gives one per row, its
    missing values (NaN) as null."""
    pandas = sys.modules.get("pandas")  # a DataFrame can only exist if pandas is imported
    if pandas is not None and isinstance(rows, pandas.DataFrame):
        return [{key: _none_if_nan(value) for key, value in row.items()} for row in rows.to_dict(orient="records")]
    if isinstance(rows, (str, bytes, Mapping)) or not isinstance(rows, Sequence):
        raise CJEError(f"rows must be a sequence of mappings or a pandas DataFrame, not {type(rows).__name__}")
    return list(rows)


def _none_if_nan(value: object) -> object:
    return None if isinstance(value, float) and math.isnan(value) else value


def _load_files(path: Path, fresh_draws: object, probes: object, judge_scale: str, oracle_scale: str, *,
                covariates: tuple[str, ...]) -> Loaded:
    if not (fresh_draws is None or isinstance(fresh_draws, (str, Path))) or not (
            probes is None or isinstance(probes, (str, Path))):
        raise CJEError("a dataset file takes its fresh draws and probes as directories")
    fresh_dir = Path(fresh_draws) if fresh_draws is not None else None
    probe_dir = Path(probes) if probes is not None else None
    dataset = load_dataset(path, fresh_dir, judge_scale=judge_scale, oracle_scale=oracle_scale, probe_dir=probe_dir,
                           covariates=covariates)
    files = [input_file("logged", None, path)]
    files += [input_file("fresh-draws", policy, Path(table.source)) for policy, table in dataset.fresh.items()]
    if probe_dir is not None:
        files += [input_file("probe", policy, probe_dir / f"{policy}_probe.jsonl") for policy in dataset.fresh
                  if (probe_dir / f"{policy}_probe.jsonl").exists()]
    return Loaded(dataset, Sources("files", tuple(files), _files_sha256(files)))


def _files_sha256(files: Sequence[InputFile]) -> str:
    return combined_sha256(f"{f.role} {f.policy or ''} {Path(f.path).name} {f.sha256}" for f in files)


def _rows_sha256(label: str, rows: Sequence[Mapping[str, Any]]) -> str:
    import hashlib

    import orjson

    digest = hashlib.sha256(label.encode())
    for row in rows:
        digest.update(orjson.dumps(row, option=orjson.OPT_SORT_KEYS | orjson.OPT_SERIALIZE_NUMPY, default=str))
    return digest.hexdigest()


def _dataset_sha256(dataset: Dataset) -> str:
    """A digest of a loaded dataset's columns (ids, scores, labels, log-probs)."""
    import hashlib

    import numpy as np

    digest = hashlib.sha256()
    tables: list[LoggedTable | FreshTable] = [dataset.logged, *dataset.fresh.values()]
    for table in tables:
        digest.update("\x1f".join(map(str, table.prompt_id.tolist())).encode())
        for column in (table.judge_score, table.oracle_label):
            digest.update(np.ascontiguousarray(column, dtype=np.float64).tobytes())
    for policy, column in dataset.logged.target_logprob.items():
        digest.update(policy.encode())
        digest.update(np.ascontiguousarray(column, dtype=np.float64).tobytes())
    digest.update(np.ascontiguousarray(dataset.logged.base_logprob, dtype=np.float64).tobytes())
    return digest.hexdigest()


def read_truth(source: str | Path | Mapping[str, float] | None) -> tuple[dict[str, float] | None, InputFile | None]:
    """True policy values: a mapping, or a JSON file of ``{policy: value}``
    or a simulator truth file (its ``population`` values). Every value must be
    a finite number; null (an unknown value) is left out."""
    if source is None:
        return None, None
    if isinstance(source, Mapping):
        return _finite_truth(source, "truth"), None
    path = Path(source)
    try:
        document = json.loads(path.read_bytes().decode("utf-8"))
    except UnicodeDecodeError as error:
        raise CJEError(f"{path}: the truth file (--truth) is not UTF-8 text (byte {error.start}); give a JSON "
                       'object {"policy": value, ...}') from None
    except json.JSONDecodeError as error:
        raise CJEError(f"{path}:{error.lineno}: the truth file (--truth) is not valid JSON ({error.msg})") from None
    values = document.get("population", document) if isinstance(document, dict) else None
    if not isinstance(values, dict):
        raise CJEError(f"{path}: the truth file (--truth) must be a JSON object of policy values")
    return _finite_truth(values, str(path)), input_file("truth", None, path)


def _finite_truth(values: Mapping[Any, Any], where: str) -> dict[str, float]:
    truth = {}
    for policy, value in values.items():
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise CJEError(f"{where}: the true value of {policy!r} is {value!r}; every value must be a finite "
                           "number (or null for an unknown one)")
        truth[str(policy)] = float(value)
    return truth
