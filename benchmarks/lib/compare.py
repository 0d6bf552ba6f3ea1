"""Side-by-side tables: our coverage experiment beside the published results."""

from __future__ import annotations

import pandas as pd

from benchmarks.lib import published
from benchmarks.lib.grid import RECOMMENDED
from benchmarks.lib.summary import METRICS
from benchmarks.lib.tables import markdown, num, pct

ORDER = ("naive-direct", "direct", "direct+bootstrap", "raw-ips", "calibrated-ips", "dr-cpo",
         "calibrated-dr-cpo", "mrdr", "tmle", "stacked-dr")


def _overall(regimes: pd.DataFrame | None) -> pd.DataFrame | None:
    if regimes is None:
        return None
    return regimes.groupby("variant")[list(METRICS)].mean()


def _cell(frame: pd.DataFrame | None, variant: str, metric: str, fmt) -> str:
    if frame is None or variant not in frame.index:
        return "–"
    return fmt(frame.loc[variant, metric])


def main_comparison(sim: pd.DataFrame, arena: pd.DataFrame | None) -> str:
    """Averages over every regime: published / simulator / arena sample."""
    ours_sim, ours_arena = _overall(sim), _overall(arena)
    headers = ["estimator", "RMSE paper", "RMSE sim", "RMSE arena*", "CI cov. paper", "CI cov. sim",
               "CI cov. arena*", "pairwise paper", "pairwise sim", "pairwise arena*", "τ paper", "τ sim",
               "runtime s paper", "runtime s sim"]
    rows = []
    for variant in ORDER:
        paper = published.MAIN_TABLE.get(variant)
        rows.append([
            variant,
            num(paper.rmse) if paper else "–", _cell(ours_sim, variant, "rmse", num),
            _cell(ours_arena, variant, "rmse", num),
            pct(paper.ci_coverage) if paper else "–", _cell(ours_sim, variant, "ci_coverage", pct),
            _cell(ours_arena, variant, "ci_coverage", pct),
            pct(paper.pairwise_acc) if paper else "–", _cell(ours_sim, variant, "pairwise_acc", pct),
            _cell(ours_arena, variant, "pairwise_acc", pct),
            num(paper.kendall_tau, 3) if paper else "–", _cell(ours_sim, variant, "kendall_tau",
                                                                lambda v: num(v, 3)),
            num(paper.runtime_s, 1) if paper else "–", _cell(ours_sim, variant, "runtime_s",
                                                              lambda v: num(v, 3)),
        ])
    return markdown(headers, rows)


def direct_coverage_comparison(sim: pd.DataFrame, arena: pd.DataFrame | None) -> str:
    """Direct-mode CI coverage by oracle fraction, per inference method."""
    fractions = published.DIRECT_COVERAGE_FRACTIONS
    headers = ["direct-mode inference", "data", *[f"{f:.0%} oracle" for f in fractions]]
    rows = [[method, "paper (real Arena, n 250-5,000)", *[pct(v) for v in values]]
            for method, values in published.DIRECT_COVERAGE.items()]
    for label, regimes in (("sim", sim), ("arena* (n 250-1,000)", arena)):
        if regimes is None:
            continue
        by = regimes.groupby(["variant", "coverage"])["ci_coverage"].mean()
        for variant, method in (("direct", "ours: influence function + oracle jackknife"),
                                ("direct+bootstrap", "ours: prompt-cluster bootstrap (calibrator refit)")):
            rows.append([method, label, *[pct(by.get((variant, f), float("nan"))) for f in fractions]])
    return markdown(headers, rows)


def headline_comparison(sim: pd.DataFrame) -> str:
    """Pairwise ranking accuracy at n=5,000 and 5% oracle (their headline)."""
    target = published.HEADLINE_PAIRWISE
    cell = sim[(sim["n_prompts"] == target["n_prompts"]) & (sim["coverage"] == target["coverage"])]
    headers = ["estimator", f"pairwise acc. at n={target['n_prompts']:,}, {target['coverage']:.0%} oracle"]
    rows = [["paper (real Arena, mean over seeds)", pct(target["pairwise_acc"])]]
    rows += [[f"ours, sim: {v}", pct(cell.loc[cell["variant"] == v, "pairwise_acc"].mean())]
             for v in RECOMMENDED if (cell["variant"] == v).any()]
    return markdown(headers, rows)
