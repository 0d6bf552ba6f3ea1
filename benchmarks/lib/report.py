"""Write an experiment's outputs: CSVs, Markdown summaries and plots."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from benchmarks.lib import plots, summary, tables
from benchmarks.lib.grid import RECOMMENDED
from benchmarks.lib.truth import Truth
from cje.io.atomic import write_text_atomic

ACCEPTANCE_COVERAGES = (0.05, 0.10, 0.25, 0.50)


@dataclass(frozen=True)
class ReportContext:
    """What the tables need to say beside the numbers."""

    source: str
    truth: Truth
    variants: tuple[str, ...]
    accuracy: tuple[str, ...]
    ranking: tuple[str, ...]
    separate: tuple[str, ...]
    ci_level: float
    n_bootstrap: int
    seeds: int

    @property
    def caveat(self) -> str:
        if not self.truth.values:
            return "No truth was given: only widths, runtimes and refusals are meaningful."
        if self.truth.noisy:
            return (f"Truth: {self.truth.description}. Every error, RMSE, coverage and ranking number "
                    "below is measured against this noisy truth (RMSE debiased for its noise; "
                    "coverage and ranking are not, and understate the estimators).")
        return f"Truth: {self.truth.description}."


def write_outputs(runs: pd.DataFrame, context: ReportContext, out: Path) -> tuple[dict[str, Path], str]:
    """Write every output; returns their paths and the main table (for the console)."""
    regimes = summary.regime_summary(runs, context.accuracy, context.ranking)
    sizes = summary.over_sizes(regimes)
    overall = summary.overall(regimes)
    apart = summary.policy_summary(runs, context.separate)
    written = {"runs_csv": out / "runs.csv", "regimes_csv": out / "regimes.csv",
               "summary_md": out / "summary.md", "readme_md": out / "readme_tables.md"}
    write_text_atomic(written["runs_csv"], runs.to_csv(index=False))
    write_text_atomic(written["regimes_csv"], regimes.to_csv(index=False))
    compact = readme_tables(regimes, sizes, overall, apart, context)
    write_text_atomic(written["readme_md"], compact)
    full = compact + "\n### Every regime\n\n" + tables.regime_table(regimes, context.variants)
    write_text_atomic(written["summary_md"], full)
    written.update(draw_plots(regimes, context, out / "plots"))
    return written, tables.main_table(overall, context.variants, noisy_truth=context.truth.noisy)


def readme_tables(regimes, sizes, overall, apart, context: ReportContext) -> str:
    """The compact tables the README shows, each with what it is measured against."""
    v = context.variants
    parts = [_header(context), "**Averages over all regimes**\n",
             tables.main_table(overall, v, noisy_truth=context.truth.noisy)]
    if context.truth.values:
        parts += _by_coverage(sizes, context)
        parts += [("**Acceptance check** (recommended estimators, 5-50% oracle: CI coverage within 95% ± 3 "
                   "points and pairwise accuracy above 94%, against this source's truth)\n"),
                  tables.acceptance_table(sizes, regimes, [r for r in RECOMMENDED if r in v],
                                          [c for c in ACCEPTANCE_COVERAGES if c in set(sizes["coverage"])])]
    if context.separate and context.truth.values:
        parts += [(f"**Reported apart** ({', '.join(context.separate)}: the judge is fooled, so "
                   "estimators that borrow the logger's calibration are biased by design)\n"),
                  tables.policy_table(apart, v)]
    return "\n".join(parts)


def _header(context: ReportContext) -> str:
    roles = ""
    if context.truth.values:
        roles = (f"accuracy metrics over {', '.join(context.accuracy) or '—'}; ranking over "
                 f"{', '.join(context.ranking) or '—'}; ")
    return (f"Source: **{context.source}**; {context.seeds} seeds per regime; {roles}"
            f"{context.ci_level:.0%} intervals; `direct+bootstrap` uses B={context.n_bootstrap}. "
            f"{context.caveat}\n")


def _by_coverage(sizes: pd.DataFrame, context: ReportContext) -> list[str]:
    v, noisy = context.variants, context.truth.noisy
    parts = [f"**{context.ci_level:.0%} CI coverage** by oracle coverage (mean over sample sizes)\n",
             tables.by_coverage_table(sizes, "ci_coverage", v, percent=True),
             "**RMSE** by oracle coverage (mean over sample sizes"
             + ("; debiased for the truth's oracle noise" if noisy else "") + ")\n",
             tables.by_coverage_table(sizes, "rmse", v, percent=False)]
    if noisy:
        parts += [("**Plain RMSE** (not debiased) by oracle coverage: the debiasing subtracts the published "
                   "bound p(1-p)/n_oracle on the truth's variance, which over-corrects when labels are less "
                   "dispersed than that bound, so read both\n"),
                  tables.by_coverage_table(sizes, "rmse_plain", v, percent=False)]
    return parts + ["**Pairwise ranking accuracy** by oracle coverage (mean over sample sizes)\n",
                    tables.by_coverage_table(sizes, "pairwise_acc", v, percent=True)]


def draw_plots(regimes: pd.DataFrame, context: ReportContext, directory: Path) -> dict[str, Path]:
    """The three figures; none without a truth (each one plots a truth-based metric)."""
    if not context.truth.values:
        return {}
    truth_note = "noisy truth" if context.truth.noisy else "exact truth"
    label = f"{context.source} ({truth_note})"
    return {
        "ci_coverage_png": plots.plot_ci_coverage(
            regimes, context.variants, directory / "ci_coverage.png", level=context.ci_level,
            title=f"{label}: how often the {context.ci_level:.0%} interval contains the true value "
                  f"({', '.join(context.accuracy)})"),
        "rmse_png": plots.plot_metric_by_size(
            _rmse_for_log_axis(regimes), context.variants, directory / "rmse.png", metric="rmse", log_y=True,
            ylabel="RMSE (log scale)" + (", debiased" if context.truth.noisy else ""),
            title=f"{label}: root mean squared error of the estimates "
                  f"({', '.join(context.accuracy)}); lower is better"
                  + (". Debiased for the truth's own noise; a debiased RMSE of 0 (errors no larger than "
                     "that noise) cannot sit on a log axis and is left as a gap" if context.truth.noisy else "")),
        "ranking_png": plots.plot_metric_by_size(
            regimes, context.variants, directory / "ranking.png", metric="pairwise_acc", target=0.94,
            ylabel="pairwise ranking accuracy",
            title=f"{label}: share of policy pairs ordered correctly ({', '.join(context.ranking)}); "
                  "dashed line: the 94% target"),
    }


def _rmse_for_log_axis(regimes: pd.DataFrame) -> pd.DataFrame:
    """Zero RMSE (possible after debiasing) as a gap rather than a plunge to -inf."""
    return regimes.assign(rmse=regimes["rmse"].where(regimes["rmse"] > 0))
