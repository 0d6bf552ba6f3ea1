#!/usr/bin/env python3
"""Paired policy comparisons on the simulator: do the paired intervals cover
the true difference, how much narrower are they than the difference of the
marginal intervals, and how often is a declared difference the wrong way round?

\b
Grid: oracle coverages x sample sizes x seeds; each cell simulates a world
(no probe slice), analyses it with direct and the DR family (influence
function + oracle jackknife) and, on the bootstrap sizes, with direct under
the joint prompt-cluster bootstrap. Pairs scored: every pair of clone,
parallel_universe_prompt, premium and the logging policy (true differences
0 to 0.025: all close); pairs with the judge-fooling unhelpful policy are
left out (every estimator borrowing the logger's calibration is biased there).

\b
Outputs in --output-dir: the append-only cell logs (rerunning resumes) and
decisions-paired.md; --readme also writes benchmarks/tables/decisions-paired.md
and the decisions-paired section of benchmarks/README.md.

\b
Example:
  .venv/bin/python benchmarks/decisions_paired.py --jobs 1 --readme
"""

from __future__ import annotations

import sys
from pathlib import Path

import click
import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.lib.decisions import (  # noqa: E402
    Cell,
    Row,
    jobs_option,
    output_dir_option,
    publish,
    quiet_option,
    readme_option,
    run_cells,
)
from benchmarks.lib.tables import markdown, num, pct  # noqa: E402
from cje.analysis import AnalysisSettings, analyze  # noqa: E402
from cje.analysis.comparisons import LOGGER  # noqa: E402
from cje.cli.errors import command  # noqa: E402
from cje.world import simulate_dataset  # noqa: E402

ESTIMATORS = ("direct", "calibrated-dr-cpo", "mrdr", "tmle", "stacked-dr")
SCORED = ("clone", "parallel_universe_prompt", "premium", LOGGER)
LEVEL = 0.95
SEED_BASE = 50_000


def paired_cell(cell: Cell) -> list[Row]:
    sim = simulate_dataset(cell["n"], seed=SEED_BASE + cell["seed"])
    bootstrap = cell["inference"] == "bootstrap"
    settings = AnalysisSettings(estimators=("direct",) if bootstrap else ESTIMATORS,
                                oracle_coverage=cell["coverage"], seed=cell["seed"], inference=cell["inference"],
                                n_bootstrap=cell.get("n_bootstrap", 500))
    result = analyze(sim.dataset, settings)
    truth = {**sim.truth, LOGGER: sim.truth["base"]}
    rows = []
    for name, comparisons in result.comparisons.items():
        for pair in comparisons.pairs:
            d = pair.difference
            if d.first not in SCORED or d.second not in SCORED:
                continue
            marginal = [result.logger if p == LOGGER else result.estimate(name, p) for p in (d.first, d.second)]
            low, high = d.ci(LEVEL)
            (a_low, a_high), (b_low, b_high) = (m.ci(LEVEL) for m in marginal)  # type: ignore[union-attr]
            rows.append({
                **cell, "estimator": name + ("+bootstrap" if bootstrap else ""), "pair": f"{d.first}|{d.second}",
                "truth": truth[d.first] - truth[d.second], "value": d.value, "low": low, "high": high,
                "p_adjusted": pair.p_adjusted, "a_low": a_low, "a_high": a_high, "b_low": b_low,
                "b_high": b_high,
            })
    return rows


def summarise(rows: pd.DataFrame) -> dict[str, pd.DataFrame]:
    frame = rows.copy()
    frame["covered"] = (frame["low"] <= frame["truth"]) & (frame["truth"] <= frame["high"])
    frame["width"] = frame["high"] - frame["low"]
    # the difference of the marginal intervals: [a_low - b_high, a_high - b_low]
    frame["marginal_width"] = (frame["a_high"] - frame["a_low"]) + (frame["b_high"] - frame["b_low"])
    frame["independent_width"] = np.hypot(frame["a_high"] - frame["a_low"], frame["b_high"] - frame["b_low"])
    frame["declared"] = frame["p_adjusted"].fillna(1.0) < 1 - LEVEL
    frame["wrong_sign"] = frame["declared"] & (np.sign(frame["value"]) != np.sign(frame["truth"]))
    overlap_free = (frame["a_low"] > frame["b_high"]) | (frame["b_low"] > frame["a_high"])
    frame["overlap_declared"] = overlap_free
    frame["overlap_wrong"] = overlap_free & (np.sign(frame["value"]) != np.sign(frame["truth"]))
    nonzero = frame["truth"].abs() > 1e-9
    by = ["estimator", "coverage"]
    coverage = frame.groupby(by)["covered"].mean().unstack("coverage")
    coverage_n = frame.groupby(["estimator", "n", "coverage"])["covered"].mean().unstack("coverage")
    width = frame.groupby(by)[["width", "marginal_width", "independent_width"]].mean()
    width["vs_marginal"] = 1 - width["width"] / width["marginal_width"]
    width["vs_independent"] = 1 - width["width"] / width["independent_width"]
    signed = frame[nonzero].groupby("estimator")
    decisions = pd.DataFrame({
        "pairs": signed.size(),
        "declared": signed["declared"].mean(),
        "wrong_sign": signed["wrong_sign"].sum() / signed["declared"].sum().clip(lower=1),
        "overlap_declared": signed["overlap_declared"].mean(),
        "overlap_wrong": signed["overlap_wrong"].sum() / signed["overlap_declared"].sum().clip(lower=1),
        "equal_false_positive": frame[~nonzero].groupby("estimator")["declared"].mean(),
    })
    by_pair = frame[nonzero].groupby(["estimator", "pair"])[["declared", "wrong_sign"]].mean()
    return {"coverage": coverage, "coverage_n": coverage_n, "width": width, "decisions": decisions,
            "by_pair": by_pair, "seeds": frame.groupby("estimator")["seed"].nunique()}


def tables(summary: dict[str, pd.DataFrame], order: list[str]) -> str:
    coverage = summary["coverage"].reindex(order)
    levels = list(coverage.columns)
    out = ["**Paired 95% CI coverage of the true difference** (6 pairs per run, averaged over sample sizes)\n",
           markdown(["estimator", *[f"{c:.0%} oracle" for c in levels], "runs per cell"],
                    [[e, *[pct(coverage.loc[e, c]) for c in levels], str(summary["seeds"][e])]
                     for e in coverage.index])]
    detail = summary["coverage_n"]
    out += ["\n**Coverage by sample size**\n",
            markdown(["estimator", "n", *[f"{c:.0%}" for c in levels]],
                     [[e, str(n), *[pct(detail.loc[(e, n), c]) for c in levels]]
                      for e in order for n in sorted({i[1] for i in detail.index if i[0] == e})])]
    width = summary["width"]
    out += ["\n**Width of the paired interval** against the difference of the marginal intervals "
            "(`[lowA - highB, highA - lowB]`, what an overlap check uses) and against `sqrt(wA² + wB²)` "
            "(marginals treated as independent); mean widths\n",
            markdown(["estimator", "oracle", "paired width", "marginal difference", "narrower by",
                      "independent", "narrower by"],
                     [[e, f"{c:.0%}", num(r["width"]), num(r["marginal_width"]), pct(r["vs_marginal"]),
                       num(r["independent_width"]), pct(r["vs_independent"])]
                      for (e, c), r in width.reindex(order, level=0).iterrows()])]
    d = summary["decisions"].reindex(order)
    out += ["\n**Decisions** over the 5 pairs with a non-zero true difference (clone = logger is the sixth: "
            "any declaration there is a false positive)\n",
            markdown(["estimator", "pair-runs", "declared different", "wrong sign among declared",
                      "overlap check: declared", "overlap check: wrong sign", "clone vs logger declared"],
                     [[e, str(int(r["pairs"])), pct(r["declared"]), pct(r["wrong_sign"]), pct(r["overlap_declared"]),
                       pct(r["overlap_wrong"]), pct(r["equal_false_positive"])] for e, r in d.iterrows()])]
    return "\n".join(out)


@command(help=__doc__)
@click.option("--seeds", type=click.IntRange(1), default=400, show_default=True,
              help="Seeds per sample size and oracle coverage.")
@click.option("--sizes", default="500,1000,2500", show_default=True,
              help="Comma-separated prompt counts of the simulated datasets.")
@click.option("--oracle-coverage", "coverages", default="0.05,0.1,0.25,0.5", show_default=True,
              help="Comma-separated oracle coverages (shares of the labels each analysis keeps).")
@click.option("--bootstrap-sizes", default="1000", show_default=True,
              help="Sizes also run with --inference bootstrap (direct only); empty for none.")
@click.option("--bootstrap-seeds", type=click.IntRange(0), default=100, show_default=True,
              help="Seeds per oracle coverage of the bootstrap runs.")
@click.option("--n-bootstrap", type=click.IntRange(100), default=500, show_default=True,
              help="Bootstrap replicates of the bootstrap runs.")
@jobs_option
@output_dir_option
@readme_option
@quiet_option
def main(seeds, sizes, coverages, bootstrap_sizes, bootstrap_seeds, n_bootstrap, jobs, out, readme, quiet):
    sizes_list = [int(s) for s in sizes.split(",")]
    coverage_list = [float(c) for c in coverages.split(",")]
    cells = [{"n": n, "coverage": c, "seed": s, "inference": "jackknife"}
             for n in sizes_list for c in coverage_list for s in range(seeds)]
    cells += [{"n": int(n), "coverage": c, "seed": s, "inference": "bootstrap", "n_bootstrap": n_bootstrap}
              for n in bootstrap_sizes.split(",") if n for c in coverage_list for s in range(bootstrap_seeds)]
    rows = run_cells(paired_cell, cells, out / "paired.jsonl", jobs=jobs, quiet=quiet, label="paired")
    frame = pd.DataFrame(rows)
    order = [e for e in (*ESTIMATORS, "direct+bootstrap") if e in set(frame["estimator"])]
    text = (f"Simulator, {seeds} seeds per (size, coverage) for the influence-function rows (sizes {sizes}); "
            f"direct+bootstrap: {bootstrap_seeds} seeds at n = {bootstrap_sizes}, B = {n_bootstrap}. "
            "Adjustment: Holm over each run's family.\n\n" + tables(summarise(frame), order))
    publish(text, "paired", out, readme=readme, quiet=quiet)


if __name__ == "__main__":
    main()
