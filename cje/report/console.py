"""Plain-text views of an analysis: what the command line prints.

Every table's title names the estimator, the data, the oracle coverage with
the labels it kept, and the seed, so the tables of a coverage loop can be told
apart; statuses are lowercase everywhere (``ok``, ``warn``, ``refuse``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from cje.analysis.registry import WeightsShown, get_spec
from cje.analysis.run import AnalysisResult, Failure
from cje.report.flags import policy_flags
from cje.report.words import run_words

if TYPE_CHECKING:
    from cje.results import Results

STATUS_MARKS = {"ok": "", "warn": "?", "refuse": "!"}


def summary(results: Results, *, quiet: bool = False) -> str:
    """Everything the command line prints for one run; ``quiet`` keeps the
    tables, the reasons and the best policy."""
    result = results.analysis
    parts = [] if quiet else [data_summary(results)]
    estimators = result.settings.estimators
    parts += [results_table(result, estimator, results.data_label, results.truth, legend=estimator == estimators[-1])
              for estimator in estimators]
    if len(result.settings.estimators) > 1:
        parts.append(comparison_table(result, results.truth))
    transport = "" if quiet else transport_text(result)
    if transport:
        parts.append(transport)
    reasons = reasons_text(result)
    if reasons:
        parts.append("Why estimates are flagged:\n" + reasons + "\n")
    comparisons = result.comparisons.get(results.headline_estimator)
    if comparisons is not None and not quiet:
        from cje.report.comparisons import comparisons_table

        parts.append(comparisons_table(comparisons, results.truth))
    parts.append(results.best_policy().message + "\n")
    return "\n".join(parts)


def _ess(result: AnalysisResult, estimator: str, policy: str) -> str:
    weights = result.policies[policy].weights
    shown = get_spec(estimator).weights_shown
    if weights is None or shown is WeightsShown.NONE:
        return "-"
    value = weights.ess_calibrated if shown is WeightsShown.CALIBRATED else weights.ess_raw
    return f"{value:.1%}"


def results_table(result: AnalysisResult, estimator: str, data_label: str,
                  truth: Mapping[str, float] | None = None, *, legend: bool = True) -> str:
    """One row per policy: estimate, SE, calibration share, CI, ESS, status
    (and truth, if known). The columns are the same at every coverage; the
    title names the estimator, data, coverage, labels kept and seed."""
    level = result.settings.ci_level
    header = ["policy", "estimate", "SE", "calib. share", f"{level:.0%} CI", "ESS", "status"]
    if truth:
        header.append("truth")
    rows = []
    for policy in result.policies:
        outcome = result.results.get((estimator, policy))
        if outcome is None:
            continue
        status = str(result.statuses[(estimator, policy)].level)
        if isinstance(outcome, Failure):
            row = [policy, "-", "-", "-", "-", "-", status]
        else:
            low, high = outcome.ci(level)
            share = "n/a" if outcome.bootstrap is not None else f"{outcome.calibration_share:.0%}"
            row = [policy, f"{outcome.value:.4f}", f"{outcome.se:.4f}", share, f"[{low:.3f}, {high:.3f}]",
                   _ess(result, estimator, policy), status]
        if truth:
            row.append(f"{truth[policy]:.4f}" if policy in truth else "-")
        rows.append(row)
    words = ("calib. share = share of the variance due to calibrating on a finite oracle slice; "
             "ESS = effective sample size of the weights used, as a share of rows\n")
    return f"{estimator} · {run_words(result, data_label)}\n" + grid(header, rows) + (words if legend else "")


def comparison_table(result: AnalysisResult, truth: Mapping[str, float] | None = None) -> str:
    """Estimates of every estimator (rows) for every policy (columns)."""
    policies = list(result.policies)
    header = ["estimator", *policies]
    rows = []
    for estimator in result.settings.estimators:
        row = [estimator]
        for policy in policies:
            outcome = result.results[(estimator, policy)]
            mark = STATUS_MARKS[result.statuses[(estimator, policy)].level]
            row.append("failed!" if isinstance(outcome, Failure)
                       else f"{outcome.value:.3f}±{outcome.se:.3f}{mark}")
        rows.append(row)
    if truth:
        rows.append(["truth", *[f"{truth[p]:.3f}" if p in truth else "-" for p in policies]])
    legend = "estimate±SE; ? = warn, ! = refuse (reasons below)"
    return "comparison of estimators\n" + grid(header, rows) + legend + "\n"


def reasons_text(result: AnalysisResult) -> str:
    """Why each estimate is flagged, grouped by policy: the reason's code,
    its words, and every estimator (with its status) it flags."""
    lines = []
    for policy in result.policies:
        groups = policy_flags(result, policy)
        if groups:
            lines.append(f"{policy}:")
            lines.extend(f"  - [{g.code}] {g.message} ({', '.join(f'{e}: {lvl}' for e, lvl in g.flagged)})"
                         for g in groups)
    return "\n".join(lines)


def transport_text(result: AnalysisResult) -> str:
    """Each policy's transport verdict and what it rests on."""
    lines = []
    for policy, summary_ in result.policies.items():
        verdict = summary_.transport
        if verdict is None:
            continue
        evidence = "; ".join(verdict.based_on) or "no evidence: no oracle labels on its responses"
        differences = summary_.differences
        shift = summary_.judge_shift
        if differences:
            seen = f"; its responses differ from the logger's: {'; '.join(differences)}"
        else:
            seen = "" if shift is None else f"; its judge scores look like the logger's (KS {shift.statistic:.2f})"
        lines.append(f"  {policy}: {verdict.audit} at margin ±{verdict.margin:g} ({evidence}){seen}")
    if not lines:
        return ""
    return "Does the judge calibration transport to each policy?\n" + "\n".join(lines) + "\n"


def data_summary(results: Results) -> str:
    """The dataset, how rewards were formed, and what each policy kept."""
    dataset, result = results.dataset, results.analysis
    logged = dataset.logged
    lines = [
        f"Dataset {logged.source}: {logged.n} logged prompts; judge scale {dataset.judge_scale}, "
        f"oracle scale {dataset.oracle_scale}; {int(logged.label_available.sum())} oracle labels available.",
    ]
    rewards = result.rewards
    if rewards is None:
        lines.append(f"Rewards: none ({result.reward_error})")
    elif rewards.source == "outcomes":
        lines.append(f"Rewards: every row has an oracle label or reward ({rewards.n_outcomes}); used as is, "
                     "no calibration variance.")
    else:
        lines.append(
            f"Rewards: judge calibrated on {rewards.n_kept_labels} of {rewards.n_available_labels} oracle "
            f"labels (coverage {result.settings.oracle_coverage:g}, seed {result.settings.seed}), "
            f"{rewards.n_folds}-fold cross-fitted, {rewards.calibration_text}; out-of-fold RMSE "
            f"{rewards.out_of_fold_rmse:.3f}; "
            f"calibration variance by a {rewards.jackknife_groups}-fold oracle jackknife."
        )
    for policy, summary_ in result.policies.items():
        parts = [f"{summary_.n_analysed} rows analysed"]
        if summary_.n_dropped_logprob:
            parts.append(f"{summary_.n_dropped_logprob} dropped for a null log-prob")
        parts.append(f"{summary_.n_fresh} fresh draws" if summary_.n_fresh else "no fresh draws")
        if summary_.n_dr_dropped and summary_.n_fresh:
            parts.append(f"{summary_.n_dr_dropped} analysed prompts without a fresh draw left out of DR")
        lines.append(f"  {policy}: " + ", ".join(parts))
    lines.extend(f"  note: {note}" for note in dataset.notes)
    return "\n".join(lines) + "\n"


def grid(header: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(str(cell)) for cell in column) for column in zip(header, *rows)]

    def line(cells: list[str]) -> str:
        return "  ".join(str(c).ljust(w) for c, w in zip(cells, widths)).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(header), rule, *(line(r) for r in rows)]) + "\n"
