"""Run the cells of one unit and turn each analysis into a stored row.

Each variant is its own ``analyze`` call so that its runtime is what a user
choosing that estimator would wait (``stacked-dr`` includes its four DR
components). Rows hold what the run produced, nothing about the truth: errors
and coverage are computed later, against whichever truth is chosen.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

from benchmarks.lib.grid import VARIANTS, Cell, Unit
from benchmarks.lib.sources import Source, sample_for
from cje.analysis import AnalysisResult, AnalysisSettings, Failure, analyze
from cje.data.tables import Dataset
from cje.errors import CJEError


@dataclass(frozen=True)
class RunSettings:
    """Settings shared by every cell of an experiment."""

    fingerprint: str
    ci_level: float = 0.95
    n_bootstrap: int = 500


def run_unit(source: Source, unit: Unit, settings: RunSettings) -> list[dict]:
    dataset = sample_for(source, unit.n_prompts, unit.seed)
    return [run_cell(dataset, cell, source, settings) for cell in unit.cells()]


def run_cell(dataset: Dataset, cell: Cell, source: Source, settings: RunSettings) -> dict:
    variant = VARIANTS[cell.variant]
    analysis = AnalysisSettings(
        estimators=(variant.estimator,), oracle_coverage=cell.coverage, seed=cell.seed,
        ci_level=settings.ci_level, inference=variant.inference, n_bootstrap=settings.n_bootstrap,
    )
    row = {"cell": cell.key(settings.fingerprint), "source": source.name, "n_prompts": cell.n_prompts,
           "n_logged": dataset.logged.n, "coverage": cell.coverage, "seed": cell.seed,
           "variant": cell.variant}
    start = time.perf_counter()
    try:
        result = analyze(dataset, analysis)
    except CJEError as error:  # a failed analysis is a row too, with its reason
        return {**row, "runtime_s": time.perf_counter() - start, "n_labels": 0,
                "analysis_error": str(error), "policies": []}
    runtime = time.perf_counter() - start
    n_labels = result.rewards.n_kept_labels if result.rewards is not None else 0
    return {**row, "runtime_s": runtime, "n_labels": n_labels, "analysis_error": None,
            "policies": policy_records(result, variant.estimator, settings.ci_level)}


def policy_records(result: AnalysisResult, estimator: str, ci_level: float) -> list[dict]:
    records = []
    for (name, policy), estimate in result.results.items():
        if name != estimator:
            continue
        status = result.statuses[(name, policy)]
        if isinstance(estimate, Failure):
            records.append({"policy": policy, "estimate": None, "se": None, "ci_low": None,
                            "ci_high": None, "status": status.level, "reason": estimate.reason})
            continue
        low, high = estimate.ci(ci_level)
        records.append({"policy": policy, "estimate": _number(estimate.value), "se": _number(estimate.se),
                        "ci_low": _number(low), "ci_high": _number(high), "status": status.level,
                        "reason": "; ".join(r.message for r in status.reasons)})
    return records


def _number(value: float) -> float | None:
    """JSON has no NaN; a non-finite number is stored as null (no estimate)."""
    return float(value) if math.isfinite(value) else None
