"""From stored rows to per-run tables and per-regime summaries.

*Accuracy policies* enter RMSE, bias and interval metrics; *ranking policies*
enter pairwise accuracy, top-1 and Kendall tau. Every estimate counts,
including refused ones (the share refused is its own column), because a user
reading the table should see what the estimator would have said.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from benchmarks.lib.metrics import (
    debiased_rmse,
    interval_score,
    kendall_tau,
    oracle_noise_variance,
    pairwise_accuracy,
    top1_correct,
)
from benchmarks.lib.truth import Truth

REGIME = ["variant", "n_prompts", "coverage"]
RUN = [*REGIME, "seed"]
RUN_FIELDS = ("source", "n_prompts", "n_logged", "coverage", "seed", "variant", "runtime_s", "n_labels")
METRICS = ("rmse", "rmse_plain", "bias", "ci_coverage", "ci_width", "interval_score", "pairwise_acc", "top1",
           "kendall_tau", "runtime_s", "labels", "no_estimate", "refused")


def runs_table(rows: list[dict], truth: Truth, *, alpha: float) -> pd.DataFrame:
    """One line per (cell, policy) with the truth-dependent columns filled in."""
    lines = []
    for row in rows:
        base = {k: row[k] for k in RUN_FIELDS}
        records = row["policies"] or [
            {"policy": p, "status": "refuse", "reason": row["analysis_error"]} for p in truth.values]
        lines.extend({**base, **record} for record in records)
    table = pd.DataFrame(lines).reindex(columns=[
        *RUN_FIELDS, "policy", "estimate", "se", "ci_low", "ci_high", "status", "reason"])
    for column in ("estimate", "se", "ci_low", "ci_high"):
        table[column] = pd.to_numeric(table[column])
    table["truth"] = table["policy"].map(truth.values)
    table["truth_n_oracle"] = table["policy"].map(truth.n_oracle)
    table["error"] = table["estimate"] - table["truth"]
    known = table["estimate"].notna() & table["truth"].notna()
    table["covered"] = ((table["ci_low"] <= table["truth"]) & (table["truth"] <= table["ci_high"])).where(known)
    table["ci_width"] = table["ci_high"] - table["ci_low"]
    table["interval_score"] = pd.Series(
        interval_score(table["ci_low"], table["ci_high"], table["truth"], alpha=alpha), index=table.index
    ).where(known)
    table["noise_variance"] = oracle_noise_variance(table["truth"], table["truth_n_oracle"])
    return table.sort_values([*RUN, "policy"], kind="stable").reset_index(drop=True)


def regime_summary(runs: pd.DataFrame, accuracy: tuple[str, ...], ranking: tuple[str, ...]) -> pd.DataFrame:
    """Every metric per (variant, sample size, coverage)."""
    scored = runs[runs["policy"].isin(accuracy)]
    summary = scored.groupby(REGIME).apply(_accuracy_metrics, include_groups=False)
    summary = summary.join(_ranking_metrics(runs, ranking).groupby(REGIME).mean())
    cells = runs.drop_duplicates(RUN).groupby(REGIME)
    summary["runs"] = cells.size()
    summary["runtime_s"] = cells["runtime_s"].mean()
    summary["labels"] = cells["n_labels"].mean()
    return summary.reset_index()


def _accuracy_metrics(group: pd.DataFrame) -> pd.Series:
    has = group[group["estimate"].notna()]
    return pd.Series({
        "rmse": debiased_rmse(has["error"].to_numpy(), has["noise_variance"].to_numpy()),
        "rmse_plain": debiased_rmse(has["error"].to_numpy()),
        "bias": has["error"].mean(),
        "ci_coverage": has["covered"].astype(float).mean(),
        "ci_width": has["ci_width"].mean(),
        "interval_score": has["interval_score"].mean(),
        "no_estimate": 1.0 - len(has) / len(group),
        "refused": float((group["status"] == "refuse").mean()),
    })


def _ranking_metrics(runs: pd.DataFrame, ranking: tuple[str, ...]) -> pd.DataFrame:
    """Per run: ranking metrics over the ranking policies, or NaN when any of
    them has no estimate (or no truth) in that run: a partial ranking is not
    comparable."""
    ranked = runs[runs["policy"].isin(ranking)].sort_values([*RUN, "policy"])

    def per_run(group: pd.DataFrame) -> pd.Series:
        if len(group) < len(ranking) or group[["estimate", "truth"]].isna().any(axis=None):
            return pd.Series({"pairwise_acc": np.nan, "top1": np.nan, "kendall_tau": np.nan})
        estimate, truth = group["estimate"].to_numpy(), group["truth"].to_numpy()
        return pd.Series({"pairwise_acc": pairwise_accuracy(estimate, truth),
                          "top1": top1_correct(estimate, truth),
                          "kendall_tau": kendall_tau(estimate, truth)})

    return ranked.groupby(RUN).apply(per_run, include_groups=False)


def policy_summary(runs: pd.DataFrame, policies: tuple[str, ...]) -> pd.DataFrame:
    """Bias, debiased RMSE, CI coverage and refusals of each named policy per
    (variant, coverage), pooled over sample sizes: for the policies reported
    apart from the accuracy pool."""
    chosen = runs[runs["policy"].isin(policies)]
    if chosen.empty:
        return pd.DataFrame()
    keys = ["variant", "coverage", "policy"]
    return chosen.groupby(keys).apply(_accuracy_metrics, include_groups=False).reset_index()


def over_sizes(regimes: pd.DataFrame) -> pd.DataFrame:
    """Each metric averaged over sample sizes, per (variant, coverage)."""
    return regimes.groupby(["variant", "coverage"])[list(METRICS)].mean().reset_index()


def overall(regimes: pd.DataFrame) -> pd.DataFrame:
    """Each metric averaged over every regime, per variant (the published
    benchmark's main-table convention)."""
    return regimes.groupby("variant")[list(METRICS)].mean().reset_index()
