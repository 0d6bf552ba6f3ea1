"""Numeric per-row fields a calibration may read besides the judge score.

Asked for by name (``--calibration-covariates``), read from each row's top
level or its ``metadata``, and required on every logged row and fresh draw:
a missing or non-numeric value is a problem located by file, line and field.
``response_length`` is computed from the response text (characters) where a
row does not carry it.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from cje.data.columns import float_column
from cje.data.jsonl import MISSING, ParsedFile, ProblemLog

RESPONSE_LENGTH = "response_length"


def _value(row: dict, name: str) -> object:
    if name in row:
        return row[name]
    metadata = row.get("metadata")
    if isinstance(metadata, dict) and name in metadata:
        return metadata[name]
    if name == RESPONSE_LENGTH and isinstance(row.get("response"), str):
        return len(row["response"])
    return MISSING


def covariate_columns(parsed: ParsedFile, names: Sequence[str], log: ProblemLog) -> dict[str, np.ndarray]:
    """Each named covariate of the parsed rows, every problem logged."""
    return {name: float_column([_value(row, name) for row in parsed.rows], parsed, name, log,
                               nullable=False, missing_ok=False)
            for name in names}
