#!/usr/bin/env python3
"""Covariate-aware calibration (--calibration-covariates response_length):
does it fix a judge whose bias depends on response length, and does it cost
anything where the judge has no such bias?

\b
Simulator: two worlds, each over oracle coverages x sample sizes x seeds,
without probe slices (every estimate borrows the logger's calibration):
  length-biased  the judge sees 0.5 more per SD of log length; premium writes
                 long responses, parallel_universe_prompt short ones
                 (cje.world.lengths.length_biased_world)
  default        the benchmarks' world: lengths carry nothing
Each dataset is analysed three ways: judge score only (monotone), two-stage
with response_length, and auto (the one of smaller out-of-fold error).
Accuracy metrics pool clone, parallel_universe_prompt and premium.

\b
Arena sample (../shared/data/arena_sample, skipped when absent): estimates
with and without the length covariate at every available label, beside each
policy's probe-slice mean (50 labels: a noisy truth, SE about 0.03).

\b
Outputs in --output-dir: the append-only cell logs (rerunning resumes) and
decisions-covariates.md; --readme also writes benchmarks/tables/decisions-covariates.md
and the decisions-covariates section of benchmarks/README.md.

\b
Example:
  .venv/bin/python benchmarks/decisions_covariates.py --readme
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
from cje.cli.errors import command  # noqa: E402
from cje.world import simulate_dataset  # noqa: E402
from cje.world.config import WorldConfig  # noqa: E402
from cje.world.lengths import length_biased_world  # noqa: E402

ESTIMATORS = ("direct", "calibrated-dr-cpo", "stacked-dr")
HONEST = ("clone", "parallel_universe_prompt", "premium")
METHODS = {"monotone": {}, "two-stage": {"calibration_covariates": ("response_length",), "calibration": "two-stage"},
           "auto": {"calibration_covariates": ("response_length",), "calibration": "auto"}}
WORLDS = {"length-biased": length_biased_world, "default": WorldConfig}
ARENA = ROOT.parent / "shared" / "data" / "arena_sample"
LEVEL = 0.95


def covariate_cell(cell: Cell) -> list[Row]:
    sim = simulate_dataset(cell["n"], seed=90_000 + cell["seed"], config=WORLDS[cell["world"]]())
    rows = []
    for method, options in METHODS.items():
        settings = AnalysisSettings(estimators=ESTIMATORS, oracle_coverage=cell["coverage"], seed=cell["seed"],
                                    **options)  # type: ignore[arg-type]
        result = analyze(sim.dataset, settings)
        chose_two_stage = result.rewards is not None and result.rewards.model.method == "two-stage"
        for estimator in ESTIMATORS:
            values = {}
            for policy in HONEST:
                estimate = result.estimate(estimator, policy)
                low, high = estimate.ci(LEVEL)
                truth = sim.truth[policy]
                values[policy] = estimate.value
                rows.append({**cell, "method": method, "estimator": estimator, "policy": policy,
                             "error": estimate.value - truth, "covered": bool(low <= truth <= high),
                             "width": high - low, "two_stage": chose_two_stage})
            ordered = sorted(HONEST, key=lambda p: -values[p])
            rows[-1]["top_correct"] = ordered[0] == max(HONEST, key=lambda p: sim.truth[p])
    return rows


def arena_rows() -> list[Row]:
    from cje.data.load import load_dataset

    dataset = load_dataset(ARENA / "logged_data.jsonl", ARENA / "fresh_draws", covariates=("response_length",))
    probes = load_dataset(ARENA / "logged_data.jsonl", ARENA / "fresh_draws", probe_dir=ARENA / "probe_slice")
    probe_mean = {p: float(np.nanmean(f.oracle_label)) for p, f in probes.fresh.items()
                  if np.isfinite(f.oracle_label).sum() >= 10}
    rows = []
    for method, options in METHODS.items():
        settings = AnalysisSettings(estimators=ESTIMATORS, oracle_coverage=1.0, **options)  # type: ignore[arg-type]
        result = analyze(dataset, settings)
        assert result.rewards is not None
        for estimator in ESTIMATORS:
            for policy in result.policies:
                estimate = result.estimate(estimator, policy)
                rows.append({"method": method, "estimator": estimator, "policy": policy, "value": estimate.value,
                             "se": estimate.se, "probe": probe_mean.get(policy),
                             "rmse_oof": result.rewards.out_of_fold_rmse,
                             "calibration": result.rewards.calibration_text})
    return rows


def simulator_tables(frame: pd.DataFrame) -> str:
    out = []
    for world in WORLDS:
        part = frame[frame["world"] == world]
        if part.empty:
            continue
        grouped = part.groupby(["estimator", "coverage", "method"])
        table = pd.DataFrame({"rmse": grouped["error"].apply(lambda e: float(np.sqrt(np.mean(e**2)))),
                              "coverage": grouped["covered"].mean(), "width": grouped["width"].mean(),
                              "two_stage": grouped["two_stage"].mean()})
        rows = []
        for (estimator, coverage), block in table.groupby(level=[0, 1]):
            mono = block.xs("monotone", level=2)
            for method in METHODS:
                r = block.xs(method, level=2).iloc[0]
                change = r["rmse"] / mono["rmse"].iloc[0] - 1
                rows.append([estimator, f"{coverage:.0%}", method, num(r["rmse"]),
                             "–" if method == "monotone" else f"{change:+.0%}", pct(r["coverage"]),
                             num(r["width"]), "–" if method == "monotone" else pct(r["two_stage"])])
        seeds = part["seed"].nunique()
        sizes = ", ".join(str(int(n)) for n in sorted(part["n"].unique()))
        out += [f"\n**{world} world** ({seeds} seeds per cell, sizes {sizes} pooled; "
                "RMSE, coverage and width over clone, parallel_universe_prompt, premium)\n",
                markdown(["estimator", "oracle", "calibration", "RMSE", "RMSE change", "95% CI coverage",
                          "CI width", "two-stage chosen"], rows)]
        tops = part.dropna(subset=["top_correct"]).groupby(["method"])["top_correct"].mean()
        out.append("Top policy right (share of runs, all estimators and coverages): "
                   + ", ".join(f"{m} {pct(tops[m])}" for m in METHODS if m in tops) + "\n")
    return "\n".join(out)


def arena_table(rows: list[Row]) -> str:
    frame = pd.DataFrame(rows)
    body = []
    for (estimator, policy), block in frame.groupby(["estimator", "policy"], sort=False):
        by = block.set_index("method")
        probe = by["probe"].iloc[0]
        body.append([estimator, policy, *[f"{by.loc[m, 'value']:.3f} ± {by.loc[m, 'se']:.3f}" for m in METHODS],
                     f"{by.loc['two-stage', 'value'] - by.loc['monotone', 'value']:+.3f}",
                     "–" if probe is None or np.isnan(probe) else f"{probe:.3f}"])
    calibration = frame.set_index("method")["calibration"].groupby(level=0).first()
    oof = frame.set_index("method")["rmse_oof"].groupby(level=0).first()
    return ("\n**Arena sample** (1,000 prompts, all 480 oracle labels; estimate ± SE; the probe mean is 50 labels, "
            "SE ≈ 0.03, so moves smaller than that cannot be judged against it)\n\n"
            + markdown(["estimator", "policy", *METHODS, "two-stage − monotone", "probe mean"], body)
            + "\nOut-of-fold RMSE of the map: " + ", ".join(f"{m} {oof[m]:.4f}" for m in METHODS)
            + f". Auto chose: {calibration['auto']}.\n")


@command(help=__doc__)
@click.option("--seeds", type=click.IntRange(1), default=40, show_default=True,
              help="Seeds per world, sample size and oracle coverage.")
@click.option("--sizes", default="1000,2500", show_default=True,
              help="Comma-separated prompt counts of the simulated datasets.")
@click.option("--oracle-coverage", "coverages", default="0.05,0.1,0.25,0.5", show_default=True,
              help="Comma-separated oracle coverages (shares of the labels each analysis keeps).")
@jobs_option
@output_dir_option
@readme_option
@quiet_option
def main(seeds, sizes, coverages, jobs, out, readme, quiet):
    cells = [{"world": w, "n": int(n), "coverage": float(c), "seed": s} for w in WORLDS for n in sizes.split(",")
             for c in coverages.split(",") for s in range(seeds)]
    rows = run_cells(covariate_cell, cells, out / "covariates.jsonl", jobs=jobs, quiet=quiet, label="covariates")
    text = ("Simulator without probe slices; 'RMSE change' is against the judge-score-only (monotone) map of the "
            "same runs.\n" + simulator_tables(pd.DataFrame(rows)))
    if (ARENA / "logged_data.jsonl").exists():
        text += arena_table(arena_rows())
    publish(text, "covariates", out, readme=readme, quiet=quiet)


if __name__ == "__main__":
    main()
