"""Markdown tables of the coverage experiment's summaries."""

from __future__ import annotations

import math
from collections.abc import Sequence

import pandas as pd

COVERAGE_TARGET = 0.95
COVERAGE_TOLERANCE = 0.03
PAIRWISE_TARGET = 0.94


def markdown(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def pct(value: float) -> str:
    return "–" if _missing(value) else f"{100 * value:.1f}%"


def num(value: float, digits: int = 4) -> str:
    return "–" if _missing(value) else f"{value:.{digits}f}"


def _missing(value: float | None) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _ordered(frame: pd.DataFrame, variants: Sequence[str]) -> pd.DataFrame:
    order = {v: i for i, v in enumerate(variants)}
    return frame[frame["variant"].isin(order)].sort_values("variant", key=lambda s: s.map(order))


def main_table(overall: pd.DataFrame, variants: Sequence[str], *, noisy_truth: bool = False) -> str:
    """Every metric averaged over all regimes, one row per estimator. With a
    noisy truth the plain RMSE is shown beside the debiased one."""
    headers = ["estimator", "RMSE (debiased)" if noisy_truth else "RMSE",
               *(["RMSE (plain)"] if noisy_truth else []), "95% CI coverage", "CI width", "interval score",
               "pairwise acc.", "top-1", "Kendall τ", "runtime s", "refused"]
    rows = [[r.variant, num(r.rmse), *([num(r.rmse_plain)] if noisy_truth else []), pct(r.ci_coverage),
             num(r.ci_width), num(r.interval_score), pct(r.pairwise_acc), pct(r.top1), num(r.kendall_tau, 3),
             num(r.runtime_s, 3), pct(r.refused)]
            for r in _ordered(overall, variants).itertuples()]
    return markdown(headers, rows)


def by_coverage_table(over_sizes: pd.DataFrame, metric: str, variants: Sequence[str], *,
                      percent: bool) -> str:
    """One metric, estimators down, oracle coverages across (averaged over sample sizes)."""
    wide = over_sizes.pivot(index="variant", columns="coverage", values=metric)
    coverages = list(wide.columns)
    headers = ["estimator", *[f"{c:.0%} oracle" for c in coverages]]
    fmt = pct if percent else num
    rows = [[v, *[fmt(wide.loc[v, c]) for c in coverages]] for v in variants if v in wide.index]
    return markdown(headers, rows)


def regime_table(regimes: pd.DataFrame, variants: Sequence[str]) -> str:
    """Every regime, for the results directory (too long for the README)."""
    headers = ["estimator", "n", "oracle", "labels", "runs", "RMSE", "bias", "CI cov.", "CI width",
               "int. score", "pairwise", "top-1", "τ", "runtime s", "no est.", "refused"]
    frame = _ordered(regimes, variants)
    rows = [[r.variant, str(r.n_prompts), f"{r.coverage:.0%}", f"{r.labels:.0f}", str(r.runs), num(r.rmse),
             num(r.bias), pct(r.ci_coverage), num(r.ci_width), num(r.interval_score), pct(r.pairwise_acc),
             pct(r.top1), num(r.kendall_tau, 3), num(r.runtime_s, 3), pct(r.no_estimate), pct(r.refused)]
            for r in frame.itertuples()]
    return markdown(headers, rows)


def policy_table(policies: pd.DataFrame, variants: Sequence[str]) -> str:
    """Bias and CI coverage of the separately reported policies, per coverage."""
    if policies.empty:
        return "(no separately reported policy in this dataset)\n"
    headers = ["policy", "estimator", *[f"{c:.0%} oracle: bias / CI cov." for c in
                                         sorted(policies["coverage"].unique())]]
    rows = []
    for policy in sorted(policies["policy"].unique()):
        for variant in variants:
            part = policies[(policies["policy"] == policy) & (policies["variant"] == variant)]
            if part.empty:
                continue
            part = part.sort_values("coverage")
            rows.append([policy, variant, *[f"{num(b, 3)} / {pct(c)}" for b, c in zip(part["bias"],
                                                                                     part["ci_coverage"])]])
    return markdown(headers, rows)


def acceptance_table(over_sizes: pd.DataFrame, regimes: pd.DataFrame, recommended: Sequence[str],
                     coverages: Sequence[float]) -> str:
    """The acceptance check per recommended estimator and oracle coverage:
    the mean over sample sizes, the worst sample size, and a plain verdict."""
    headers = ["estimator", "oracle", "CI coverage (mean over n)", "worst n: CI coverage",
               "pairwise acc. (mean over n)", "worst n: pairwise", "verdict"]
    rows = []
    for variant in recommended:
        for coverage in coverages:
            mean = over_sizes[(over_sizes["variant"] == variant) & (over_sizes["coverage"] == coverage)]
            cells = regimes[(regimes["variant"] == variant) & (regimes["coverage"] == coverage)]
            if mean.empty:
                continue
            cov, acc = float(mean["ci_coverage"].iloc[0]), float(mean["pairwise_acc"].iloc[0])
            rows.append([variant, f"{coverage:.0%}", pct(cov), _worst(cells, "ci_coverage", farthest=True),
                         pct(acc), _worst(cells, "pairwise_acc", farthest=False), verdict(cov, acc)])
    return markdown(headers, rows)


def _worst(cells: pd.DataFrame, metric: str, *, farthest: bool) -> str:
    """The sample size whose value is farthest from the coverage target, or lowest."""
    known = cells.dropna(subset=[metric])
    if known.empty:
        return "–"
    gap = (known[metric] - COVERAGE_TARGET).abs() if farthest else -known[metric]
    worst = known.loc[gap.idxmax()]
    return f"{pct(worst[metric])} (n={worst['n_prompts']})"


def verdict(coverage: float, pairwise: float) -> str:
    problems = []
    # The epsilon keeps 98.0% inside 95% ± 3 points despite floating point.
    if _missing(coverage) or abs(coverage - COVERAGE_TARGET) > COVERAGE_TOLERANCE + 1e-9:
        problems.append(f"CI coverage off target ({pct(coverage)} vs 92-98%)")
    if _missing(pairwise) or pairwise <= PAIRWISE_TARGET:
        problems.append(f"pairwise {pct(pairwise)} ≤ 94%")
    return "meets both" if not problems else "FAILS: " + "; ".join(problems)
