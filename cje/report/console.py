"""Plain-text views of an analysis: the results table, reasons, the best policy."""

from __future__ import annotations

from collections.abc import Mapping

from cje.analysis.registry import WeightsShown, get_spec
from cje.analysis.run import AnalysisResult, Failure

STATUS_WORDS = {"ok": "ok", "warn": "WARN", "refuse": "REFUSE"}


def _ess(result: AnalysisResult, estimator: str, policy: str) -> str:
    weights = result.policies[policy].weights
    shown = get_spec(estimator).weights_shown
    if weights is None or shown is WeightsShown.NONE:
        return "-"
    value = weights.ess_calibrated if shown is WeightsShown.CALIBRATED else weights.ess_raw
    return f"{value:.1%}"


def results_table(result: AnalysisResult, estimator: str,
                  truth: Mapping[str, float] | None = None) -> str:
    """One row per policy: estimate, SE, CI, ESS, status (and truth, if known)."""
    level = result.settings.ci_level
    calibrated = result.rewards is not None and result.rewards.source == "calibrated"
    header = ["policy", "estimate", "SE", f"{level:.0%} CI", "ESS", "status"]
    if calibrated:
        header.insert(3, "calib. var")
    if truth:
        header.append("truth")
    rows = []
    for policy in result.policies:
        outcome = result.results.get((estimator, policy))
        if outcome is None:
            continue
        status = result.statuses[(estimator, policy)].level
        if isinstance(outcome, Failure):
            row = [policy, "-", "-", "-", "-", STATUS_WORDS[status]]
            if calibrated:
                row.insert(3, "-")
        else:
            low, high = outcome.ci(level)
            row = [policy, f"{outcome.value:.4f}", f"{outcome.se:.4f}",
                   f"[{low:.3f}, {high:.3f}]", _ess(result, estimator, policy), STATUS_WORDS[status]]
            if calibrated:
                share = "-" if outcome.bootstrap is not None else f"{outcome.calibration_share:.0%}"
                row.insert(3, share)
        if truth:
            row.append(f"{truth[policy]:.4f}" if policy in truth else "-")
        rows.append(row)
    legend = ""
    if calibrated:
        legend = "calib. var = share of the variance due to calibrating on a finite oracle slice\n"
    return f"{estimator}\n" + _grid(header, rows) + legend


def comparison_table(result: AnalysisResult, truth: Mapping[str, float] | None = None) -> str:
    """Estimates of every estimator (rows) for every policy (columns)."""
    policies = list(result.policies)
    header = ["estimator", *policies]
    rows = []
    for estimator in result.settings.estimators:
        row = [estimator]
        for policy in policies:
            outcome = result.results[(estimator, policy)]
            mark = {"ok": "", "warn": "?", "refuse": "!"}[result.statuses[(estimator, policy)].level]
            row.append("failed!" if isinstance(outcome, Failure)
                       else f"{outcome.value:.3f}±{outcome.se:.3f}{mark}")
        rows.append(row)
    if truth:
        rows.append(["truth", *[f"{truth[p]:.3f}" if p in truth else "-" for p in policies]])
    legend = "estimate±SE; ? = warning, ! = refused (reasons below)"
    return "comparison of estimators\n" + _grid(header, rows) + legend + "\n"


def reasons_text(result: AnalysisResult) -> str:
    """Why each estimate is flagged, grouped by policy."""
    lines = []
    for policy in result.policies:
        seen: dict[str, list[str]] = {}
        for (estimator, p), status in result.statuses.items():
            if p != policy:
                continue
            for reason in status.reasons:
                seen.setdefault(reason.message, []).append(f"{estimator} ({status.level})")
        if seen:
            lines.append(f"{policy}:")
            lines.extend(f"  - {reason} [{', '.join(where)}]" for reason, where in seen.items())
    return "\n".join(lines)


def transport_text(result: AnalysisResult) -> str:
    """Each policy's transport verdict and what it rests on."""
    lines = []
    for policy, summary in result.policies.items():
        verdict = summary.transport
        if verdict is None:
            continue
        evidence = "; ".join(verdict.based_on) or "no evidence: no oracle labels on its responses"
        shift = summary.judge_shift
        seen = "" if shift is None else (f"; its judge scores {'differ' if shift.shifted else 'do not differ'} "
                                         f"from the logger's (KS {shift.statistic:.2f})")
        lines.append(f"  {policy}: {verdict.audit} at margin ±{verdict.margin:g} ({evidence}){seen}")
    if not lines:
        return ""
    return "Does the judge calibration transport to each policy?\n" + "\n".join(lines) + "\n"


def best_policy_claim(result: AnalysisResult, estimator: str) -> str:
    """The highest estimate among policies whose estimate was not refused, and
    whether its interval separates it from the runner-up."""
    level = result.settings.ci_level
    candidates = []
    refused = []
    for policy in result.policies:
        outcome = result.results.get((estimator, policy))
        status = result.statuses.get((estimator, policy))
        if outcome is None or status is None:
            continue
        if isinstance(outcome, Failure) or status.refused:
            refused.append(policy)
            continue
        candidates.append((outcome.value, policy, outcome.ci(level)))
    if not candidates:
        return f"{estimator}: no policy can be called best: every estimate was refused."
    candidates.sort(reverse=True)
    value, best, (low, _) = candidates[0]
    if result.statuses[(estimator, best)].level != "ok":
        claim = (f"{estimator}: {best} has the highest estimate ({value:.3f}), but that estimate is flagged "
                 "(reasons above), so no policy is established as best.")
        return claim + (f" Not ranked (refused): {', '.join(refused)}." if refused else "")
    claim = f"{estimator}: best policy is {best} ({value:.3f})"
    if len(candidates) > 1:
        runner_value, runner, (_, runner_high) = candidates[1]
        if low > runner_high:
            claim += f", ahead of {runner} ({runner_value:.3f}); the {level:.0%} intervals do not overlap."
        else:
            claim += (f", but not separated from {runner} ({runner_value:.3f}): the {level:.0%} "
                      "intervals overlap, so the order of the two is not established.")
    else:
        claim += "."
    if refused:
        claim += f" Not ranked (refused): {', '.join(refused)}."
    return claim


def primary_estimator(result: AnalysisResult) -> str:
    """The estimator a multi-estimator run reports its best policy with: the
    one of best headline rank among those run, else the first run."""
    ranked = [(spec.headline_rank, name) for name in result.settings.estimators
              if (spec := get_spec(name)).headline_rank is not None]
    return min(ranked)[1] if ranked else result.settings.estimators[0]


def _grid(header: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(str(cell)) for cell in column) for column in zip(header, *rows)]
    def line(cells: list[str]) -> str:
        return "  ".join(str(c).ljust(w) for c, w in zip(cells, widths)).rstrip()
    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(header), rule, *(line(r) for r in rows)]) + "\n"

