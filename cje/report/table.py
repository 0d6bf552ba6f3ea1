"""The tidy long table: one row per policy x estimator (x coverage, in a
sweep), the same columns in the same order in every run.

Written as CSV (``--output-csv``; an empty cell is a value that is not
defined, as null is in the JSON) and returned as a DataFrame by
``Results.to_dataframe()``.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cje.analysis.registry import get_spec
from cje.report.document import estimate_json
from cje.report.words import n_labels

if TYPE_CHECKING:
    import pandas as pd

    from cje.results import Results

COLUMNS = (
    "data", "oracle_coverage", "n_oracle_labels", "seed", "policy", "estimator", "family", "status",
    "reason_codes", "estimate", "se", "ci_low", "ci_high", "ci_level", "se_sampling", "se_calibration",
    "calibration_variance_share", "n", "ess", "truth",
)
"""``reason_codes`` joins the codes with ``;`` (empty: none). ``ess`` is the
effective sample size of the weights the estimator uses, as a share of rows."""


def result_rows(results: Results) -> list[dict[str, Any]]:
    result = results.analysis
    settings = result.settings
    truth = results.truth or {}
    rows = []
    for policy in result.policies:
        for estimator in settings.estimators:
            if (estimator, policy) not in result.results:
                continue
            entry = estimate_json(result, estimator, policy)
            rows.append({
                "data": results.data_label,
                "oracle_coverage": settings.oracle_coverage,
                "n_oracle_labels": n_labels(result),
                "seed": settings.seed,
                "policy": policy,
                "estimator": estimator,
                "family": str(get_spec(estimator).family),
                "status": entry["status"],
                "reason_codes": ";".join(entry["reason_codes"]),
                **{name: entry[name] for name in ("estimate", "se", "ci_low", "ci_high")},
                "ci_level": settings.ci_level,
                **{name: entry[name] for name in ("se_sampling", "se_calibration", "calibration_variance_share",
                                                  "n", "ess")},
                "truth": truth.get(policy),
            })
    return rows


def csv_text(rows: Iterable[Mapping[str, Any]]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({name: "" if row[name] is None else row[name] for name in COLUMNS})
    return buffer.getvalue()


def write_csv(path: str | Path, rows: Iterable[Mapping[str, Any]]) -> None:
    from cje.io.atomic import write_text_atomic

    write_text_atomic(path, csv_text(rows))


def to_dataframe(rows: Sequence[Mapping[str, Any]]) -> pd.DataFrame:
    import pandas as pd

    return pd.DataFrame([{name: row[name] for name in COLUMNS} for row in rows], columns=list(COLUMNS))
