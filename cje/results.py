"""The Python API: ``analyze`` a dataset and read the result.

>>> import cje
>>> result = cje.analyze("data/cje_dataset.jsonl", estimators="dr-cpo", oracle_coverage=0.25)  # doctest: +SKIP
>>> result.estimate("clone", "dr-cpo").ci(0.9)                                                # doctest: +SKIP

:func:`analyze` loads the data (a dataset file, rows in memory or a pandas
DataFrame), runs :func:`cje.analysis.analyze` and wraps what it returns in a
:class:`Results`: estimates and their intervals, statuses with reasons, the
best policy, every per-policy diagnostic, and the same words, tables, JSON,
CSV, figures and report the command line writes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cje.analysis.registry import estimator_names
from cje.analysis.run import AnalysisResult, Failure
from cje.analysis.run import analyze as analyze_core
from cje.analysis.settings import AnalysisSettings
from cje.choices import DEFAULT_TRANSPORT_MARGIN
from cje.data.tables import Dataset
from cje.diagnostics.gates import Status
from cje.errors import EstimationError
from cje.estimators.result import Estimate
from cje.inference.intervals import Interval
from cje.report.best import BestPolicy, best_policy, headline_estimator
from cje.report.provenance import Provenance, provenance
from cje.sources import DataSource, RowsByPolicy, load, read_truth

if TYPE_CHECKING:
    import pandas as pd

    from cje.analysis.policy import PolicySummary
    from cje.analysis.selfcheck import SelfCheckResult


def parse_estimators(value: str | Sequence[str]) -> tuple[str, ...]:
    """``"all"``, one name, a comma-separated list, or a sequence of names."""
    known = estimator_names()
    if isinstance(value, str):
        if value.strip() == "all":
            return known
        value = value.split(",")
    names = tuple(dict.fromkeys(v.strip() for v in value if v.strip()))
    unknown = [n for n in names if n not in known]
    if unknown or not names:
        raise ValueError(f"unknown estimator {', '.join(unknown) or repr(value)}: choose from all, {', '.join(known)}")
    return names


@dataclass(frozen=True)
class Results:
    """One analysis: the core result, the data it ran on, where it came from
    and the true policy values when known.

    ``estimate``/``status`` take ``(policy, estimator)``; the estimator may be
    left out when the run had only one.
    """

    analysis: AnalysisResult
    dataset: Dataset = field(repr=False)
    provenance: Provenance
    truth: Mapping[str, float] | None = None
    checked: SelfCheckResult | None = field(default=None, repr=False)

    # ---- what was run ----------------------------------------------------
    @property
    def settings(self) -> AnalysisSettings:
        return self.analysis.settings

    @property
    def policies(self) -> tuple[str, ...]:
        return tuple(self.analysis.policies)

    @property
    def estimators(self) -> tuple[str, ...]:
        return self.analysis.settings.estimators

    @property
    def headline_estimator(self) -> str:
        """The estimator :meth:`best_policy` judges by unless told otherwise."""
        return headline_estimator(self.analysis)

    @property
    def data_label(self) -> str:
        """A short name of the data for titles: the dataset file and its folder."""
        source = Path(self.dataset.logged.source)
        return source.name if source.name.startswith("<") else "/".join(source.parts[-2:])

    # ---- numbers ---------------------------------------------------------
    def estimate(self, policy: str, estimator: str | None = None) -> Estimate:
        """The estimate, with ``.value``, ``.se`` and ``.ci(level)``. Raises
        :class:`EstimationError` (with the reason) if it could not be computed."""
        outcome = self.analysis.results[self._key(policy, estimator)]
        if isinstance(outcome, Failure):
            raise EstimationError(f"{outcome.estimator} for {outcome.policy}: {outcome.reason}")
        return outcome

    def status(self, policy: str, estimator: str | None = None) -> Status:
        """``ok``/``warn``/``refuse`` with the reasons (each a code and words)."""
        return self.analysis.statuses[self._key(policy, estimator)]

    def ci(self, level: float | None = None) -> dict[tuple[str, str], Interval]:
        """Every computed estimate's interval at ``level`` (default: the run's),
        keyed by ``(policy, estimator)``."""
        level = self.settings.ci_level if level is None else level
        return {(policy, estimator): outcome.ci(level)
                for (estimator, policy), outcome in self._outcomes() if isinstance(outcome, Estimate)}

    def best_policy(self, estimator: str | None = None) -> BestPolicy:
        """The best policy (``.policy``, None when not established) with its
        reason code and words, by the headline estimator unless told otherwise."""
        return best_policy(self.analysis, estimator)

    def diagnostics(self, policy: str) -> PolicySummary:
        """Everything about one policy that does not depend on the estimator:
        weight health, overlap, judge shift, label support, transport."""
        return self.analysis.policies[policy]

    def self_check(self, n_replays: int) -> Results:
        """These results plus a self-check: the analysis replayed ``n_replays``
        times on data shaped like this dataset with a planted truth (see
        :mod:`cje.analysis.selfcheck`); it is printed by :meth:`self_check_text`
        and written to the JSON's ``self_check`` section."""
        import numpy as np

        from cje.analysis.selfcheck import self_check

        checked = self_check(self.dataset, self.settings, n_replays=n_replays,
                             rng=np.random.default_rng(self.settings.seed))
        return replace(self, checked=checked)

    def self_check_text(self) -> str:
        """How each estimator fared in the self-check's replays ('' without one)."""
        if self.checked is None:
            return ""
        from cje.report.selfcheck import self_check_text

        return self_check_text(self.checked)

    # ---- views -----------------------------------------------------------
    def summary(self, *, quiet: bool = False) -> str:
        """What the command line prints: the data, one table per estimator,
        transport, the reasons behind every flag and the best policy."""
        from cje.report.console import summary

        return summary(self, quiet=quiet)

    def rows(self) -> list[dict[str, Any]]:
        """One row per policy x estimator, the columns of :func:`cje.report.table.COLUMNS`."""
        from cje.report.table import result_rows

        return result_rows(self)

    def to_dataframe(self) -> pd.DataFrame:
        """:meth:`rows` as a pandas DataFrame (the same columns as the CSV)."""
        from cje.report.table import to_dataframe

        return to_dataframe(self.rows())

    def to_json(self) -> dict[str, Any]:
        """The results document (see ``cje/report/results.schema.json``)."""
        from cje.report.document import analysis_document

        return analysis_document(self)

    # ---- files -----------------------------------------------------------
    def write_json(self, path: str | Path) -> None:
        from cje.report.document import write_document

        write_document(path, self.to_json())

    def write_csv(self, path: str | Path) -> None:
        from cje.report.table import write_csv

        write_csv(path, self.rows())

    def save_plots(self, directory: str | Path) -> list[Path]:
        """The weight dashboard, calibration figure, forest plot and the
        extreme-weights text; returns the paths written."""
        from cje.plots.save import save_analysis_plots

        return save_analysis_plots(self, directory)

    def write_report(self, path: str | Path) -> None:
        """One self-contained HTML page (figures inlined)."""
        from cje.report.html import write_report

        write_report(path, self)

    # ---- helpers ---------------------------------------------------------
    def _key(self, policy: str, estimator: str | None) -> tuple[str, str]:
        if estimator is None:
            if len(self.estimators) != 1:
                raise ValueError(f"this run has several estimators; name one of {', '.join(self.estimators)}")
            estimator = self.estimators[0]
        if estimator not in self.estimators:
            raise ValueError(f"estimator {estimator!r} was not run; this run has {', '.join(self.estimators)}")
        if policy not in self.analysis.policies:
            raise ValueError(f"unknown policy {policy!r}; this run has {', '.join(self.policies)}")
        return estimator, policy

    def _outcomes(self) -> list[tuple[tuple[str, str], Estimate | Failure]]:
        """(estimator, policy) -> outcome, policies in data order, estimators in run order."""
        results = self.analysis.results
        return [((e, p), results[(e, p)]) for p in self.policies for e in self.estimators if (e, p) in results]


def analyze(
    data: DataSource,
    *,
    fresh_draws: str | Path | RowsByPolicy | None = None,
    probes: str | Path | RowsByPolicy | None = None,
    estimators: str | Sequence[str] = "calibrated-ips",
    oracle_coverage: float = 1.0,
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
) -> Results:
    """Analyse a dataset.

    ``data`` is a dataset JSONL path (``fresh_draws`` and ``probes`` then are
    directories; fresh draws default to ``responses/`` beside it), a sequence
    of rows or a pandas DataFrame (``fresh_draws``/``probes`` then map each
    policy to its rows), or a :class:`~cje.data.tables.Dataset`. The other
    options are those of ``analyze_dataset.py`` (see its ``--help``);
    ``truth`` (a mapping or a JSON file) only adds the true values to the
    report. ``command_line`` is recorded in the JSON (the CLI passes its own).
    """
    settings = AnalysisSettings(
        estimators=parse_estimators(estimators), oracle_coverage=oracle_coverage, seed=seed, ci_level=ci_level,
        inference=inference, n_bootstrap=n_bootstrap, mrdr_omega=mrdr_omega, jackknife_folds=jackknife_folds,
        transport_margin=transport_margin, policies=tuple(policies) if policies is not None else None,
        calibration_covariates=tuple(calibration_covariates), calibration=calibration, multiplicity=multiplicity,
    )
    loaded = load(data, fresh_draws=fresh_draws, probes=probes, judge_scale=judge_scale, oracle_scale=oracle_scale,
                  covariates=tuple(calibration_covariates))
    dataset, sources = loaded.dataset, loaded.sources
    values, truth_file = read_truth(truth)
    if truth_file is not None:
        sources = replace(sources, files=(*sources.files, truth_file))
    return Results(analyze_core(dataset, settings), dataset, provenance(sources, command_line), values)
