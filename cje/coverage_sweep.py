"""An oracle-coverage sweep: the same analysis at several label budgets, in
one process, read as one table, one figure and one CSV.

The data are loaded once and every coverage keeps a subset of the labels the
next larger one keeps (same seed), so the runs differ only in how many labels
they use. ``python analyze_dataset.py --oracle-coverage 0.05,0.1,0.25,0.5,1``
runs it from the command line.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cje.analysis.run import analyze as analyze_core
from cje.analysis.settings import AnalysisSettings
from cje.choices import DEFAULT_TRANSPORT_MARGIN
from cje.report.provenance import Provenance, provenance
from cje.results import Results, parse_estimators
from cje.sources import DataSource, RowsByPolicy, load, read_truth

if TYPE_CHECKING:
    import pandas as pd

    from cje.plots.sweep import SweepPoint


@dataclass(frozen=True)
class Sweep:
    """One :class:`Results` per coverage, in the order asked."""

    runs: tuple[Results, ...]
    provenance: Provenance

    @property
    def coverages(self) -> tuple[float, ...]:
        return tuple(run.settings.oracle_coverage for run in self.runs)

    def run(self, coverage: float) -> Results:
        for run in self.runs:
            if run.settings.oracle_coverage == coverage:
                return run
        raise ValueError(f"no run at coverage {coverage}; this sweep has {', '.join(map(str, self.coverages))}")

    def rows(self) -> list[dict[str, Any]]:
        """Every run's rows (policy x estimator x coverage), coverage by coverage."""
        return [row for run in self.runs for row in run.rows()]

    def to_dataframe(self) -> pd.DataFrame:
        from cje.report.table import to_dataframe

        return to_dataframe(self.rows())

    def summary(self, *, quiet: bool = False) -> str:
        from cje.report.sweep_text import sweep_summary

        return sweep_summary(self, quiet=quiet)

    def to_json(self) -> dict[str, Any]:
        from cje.report.document import header, run_section

        return {**header(self.provenance, "coverage-sweep"), "coverages": list(self.coverages),
                "runs": [run_section(run) for run in self.runs]}

    def points(self) -> list[SweepPoint]:
        from cje.plots.sweep import sweep_points

        return sweep_points(self)

    def write_json(self, path: str | Path) -> None:
        from cje.report.document import write_document

        write_document(path, self.to_json())

    def write_csv(self, path: str | Path) -> None:
        from cje.report.table import write_csv

        write_csv(path, self.rows())

    def save_plots(self, directory: str | Path) -> list[Path]:
        """``coverage_sweep.png``: the estimate with its interval against
        coverage, one panel per policy. Returns the paths written."""
        from cje.plots.save import save_sweep_plots

        return save_sweep_plots(self, directory)

    def write_report(self, path: str | Path) -> None:
        from cje.report.html import write_sweep_report

        write_sweep_report(path, self)


def sweep(
    data: DataSource,
    coverages: Sequence[float],
    *,
    fresh_draws: str | Path | RowsByPolicy | None = None,
    probes: str | Path | RowsByPolicy | None = None,
    estimators: str | Sequence[str] = "calibrated-ips",
    seed: int = 42,
    ci_level: float = 0.95,
    inference: str = "jackknife",
    n_bootstrap: int = 1000,
    mrdr_omega: str = "w",
    jackknife_folds: int = 10,
    transport_margin: float = DEFAULT_TRANSPORT_MARGIN,
    calibration_covariates: Sequence[str] = (),
    calibration: str = "auto",
    multiplicity: str = "holm",
    policies: Sequence[str] | None = None,
    judge_scale: str = "auto",
    oracle_scale: str = "auto",
    truth: str | Path | Mapping[str, float] | None = None,
    command_line: Sequence[str] | None = None,
) -> Sweep:
    """:func:`cje.analyze` at each of ``coverages`` (the other options as
    there), loading the data once."""
    if not coverages:
        raise ValueError("give at least one oracle coverage")
    base = AnalysisSettings(
        estimators=parse_estimators(estimators), seed=seed, ci_level=ci_level, inference=inference,
        n_bootstrap=n_bootstrap, mrdr_omega=mrdr_omega, jackknife_folds=jackknife_folds,
        transport_margin=transport_margin, policies=tuple(policies) if policies is not None else None,
        calibration_covariates=tuple(calibration_covariates), calibration=calibration, multiplicity=multiplicity,
    )
    loaded = load(data, fresh_draws=fresh_draws, probes=probes, judge_scale=judge_scale, oracle_scale=oracle_scale,
                  covariates=tuple(calibration_covariates))
    dataset, sources = loaded.dataset, loaded.sources
    values, truth_file = read_truth(truth)
    if truth_file is not None:
        sources = replace(sources, files=(*sources.files, truth_file))
    origin = provenance(sources, command_line)
    runs = tuple(
        Results(analyze_core(dataset, replace(base, oracle_coverage=float(coverage))), dataset, origin, values)
        for coverage in coverages
    )
    return Sweep(runs, origin)
