"""The console view of an oracle-coverage sweep: one table, policy x
estimator x coverage, the codes of the reasons with their meaning, the
headline estimator's paired differences at each coverage, and the best
policy at each coverage."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cje.analysis.run import Failure
from cje.diagnostics.reasons import ReasonCode
from cje.report.comparisons import ADJUSTMENT_WORDS
from cje.report.console import data_summary, grid
from cje.report.words import n_labels

if TYPE_CHECKING:
    from cje.coverage_sweep import Sweep


def sweep_summary(sweep: Sweep, *, quiet: bool = False) -> str:
    first = sweep.runs[0]
    parts = [] if quiet else [data_summary(first)]
    parts.append(sweep_table(sweep))
    codes = sorted({reason.code for run in sweep.runs for status in run.analysis.statuses.values()
                    for reason in status.reasons}, key=list(ReasonCode).index)
    if codes:
        parts.append("Reason codes:\n" + "\n".join(f"  {code}: {code.description}" for code in codes) + "\n")
    if not quiet:
        paired = sweep_comparisons_table(sweep)
        if paired:
            parts.append(paired)
    lines = []
    for run in sweep.runs:
        best = run.best_policy()
        lines.append(f"  coverage {run.settings.oracle_coverage:g}: {best.policy or 'none'} ({best.code})")
    parts.append(f"Best policy by {first.headline_estimator} at each coverage:\n" + "\n".join(lines) + "\n")
    return "\n".join(parts)


def sweep_table(sweep: Sweep) -> str:
    first = sweep.runs[0]
    level = first.settings.ci_level
    header = ["policy", "estimator", "coverage", "labels", "estimate", f"{level:.0%} CI", "status", "reasons"]
    truth = first.truth or {}
    if truth:
        header.insert(6, "truth")
    rows = []
    for policy in first.policies:
        for estimator in first.estimators:
            for run in sweep.runs:
                result = run.analysis
                outcome = result.results.get((estimator, policy))
                if outcome is None:
                    continue
                status = result.statuses[(estimator, policy)]
                if isinstance(outcome, Failure):
                    numbers = ["-", "-"]
                else:
                    low, high = outcome.ci(level)
                    numbers = [f"{outcome.value:.4f}", f"[{low:.3f}, {high:.3f}]"]
                row = [policy, estimator, f"{result.settings.oracle_coverage:g}", str(n_labels(result)), *numbers,
                       str(status.level), ", ".join(dict.fromkeys(str(r.code) for r in status.reasons)) or "-"]
                if truth:
                    row.insert(6, f"{truth[policy]:.4f}" if policy in truth else "-")
                rows.append(row)
    title = (f"oracle-coverage sweep · {first.data_label} · coverages "
             f"{', '.join(f'{c:g}' for c in sweep.coverages)} · seed {first.settings.seed}")
    return title + "\n" + grid(header, rows)


def sweep_comparisons_table(sweep: Sweep) -> str:
    """The headline estimator's paired differences, one row per pair and one
    column per coverage (each pair oriented as at the first coverage; ``*``
    marks a difference significant after the run's adjustment)."""
    first = sweep.runs[0]
    estimator = first.headline_estimator
    cells: dict[tuple[str, str], dict[float, str]] = {}
    for run in sweep.runs:
        comparisons = run.analysis.comparisons.get(estimator)
        if comparisons is None:
            continue
        for pair in comparisons.pairs:
            d = pair.difference
            key = (d.first, d.second)
            if key not in cells and (d.second, d.first) in cells:
                key, d = (d.second, d.first), d.reversed()
            low, high = d.ci(comparisons.level)
            mark = "*" if pair.significant(comparisons.alpha) else (" " if pair.p_adjusted is not None else "?")
            cells.setdefault(key, {})[run.settings.oracle_coverage] = f"{d.value:+.3f} [{low:+.3f}, {high:+.3f}]{mark}"
    if not cells:
        return ""
    header = ["pair", *(f"coverage {c:g}" for c in sweep.coverages)]
    rows = [[f"{a} - {b}", *(by_coverage.get(c, "-") for c in sweep.coverages)]
            for (a, b), by_coverage in cells.items()]
    words = ADJUSTMENT_WORDS[first.settings.multiplicity]
    return (f"paired differences ({estimator}) at each coverage, {first.settings.ci_level:.0%} CI\n"
            + grid(header, rows)
            + f"* separated on {words} p-values; ? not tested (a refused estimate); "
              f"'logger' is the logging policy\n")
