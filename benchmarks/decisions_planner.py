#!/usr/bin/env python3
"""Does the oracle-budget planner deliver what it promises?

\b
For each of a few pilot datasets (simulator, 2,000 prompts, 25% oracle), the
planner (the library behind plan_labels.py) plans every goal of a grid:
  * a 95% CI half-width of 0.02 / 0.015 / 0.01 for every policy (direct and
    stacked-dr),
  * a detectable difference of 0.03 / 0.02 between premium and clone
    (direct, 80% power, at the level the Holm-adjusted paired tests use).
Each plan (n prompts, m labels) is then realised on fresh simulated datasets
(new seeds) and analysed with the default settings: the realised mean CI
half-width is compared with the planned one, and for the detectable-difference
goals the realised SE of the difference and the share of runs that declare
premium > clone are compared with the plan's prediction at the true difference
(0.0202). The square-root plan's cost is compared with fixed oracle shares
(5-100%) for the same goal; for one goal the fixed-share plans are realised too.

\b
Outputs in --output-dir: the append-only cell logs (rerunning resumes) and
decisions-planner.md; --readme also writes benchmarks/tables/decisions-planner.md
and the decisions-planner section of benchmarks/README.md.

\b
Example:
  .venv/bin/python benchmarks/decisions_planner.py --readme
"""

from __future__ import annotations

import sys
from pathlib import Path

import click
import numpy as np
import pandas as pd
from scipy import stats

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
from cje.planning.allocation import Costs, Kind, Requirement, cheapest_plan, fixed_ratio_plan  # noqa: E402
from cje.planning.pilot import pilot_components  # noqa: E402
from cje.planning.variance import Components, one_sided  # noqa: E402
from cje.world import simulate_dataset  # noqa: E402

ESTIMATORS = ("direct", "stacked-dr")
HALF_WIDTHS = (0.02, 0.015, 0.01)
DETECTABLE = (0.03, 0.02)
PAIR = ("premium", "clone")
FRACTIONS = (0.05, 0.10, 0.25, 0.50, 1.0)
REALISED_FRACTIONS = (0.05, 0.25, 1.0)
COSTS = Costs(judge=1.0, oracle=16.0, draw=1.0, n_policies=4)
PILOT_SIZE, PILOT_COVERAGE, PILOT_FOLDS = 2000, 0.25, 40
LEVEL = 0.95


def pilot_cell(cell: Cell) -> list[Row]:
    sim = simulate_dataset(PILOT_SIZE, seed=70_000 + cell["pilot"])
    result = analyze(sim.dataset, AnalysisSettings(estimators=ESTIMATORS, oracle_coverage=PILOT_COVERAGE,
                                                   seed=cell["pilot"], jackknife_folds=PILOT_FOLDS))
    rows = []
    for estimator in ESTIMATORS:
        pilot = pilot_components(result, estimator)
        for c in (*pilot.policies, *pilot.pairs):
            rows.append({"pilot": cell["pilot"], "estimator": estimator, "name": c.name,
                         "kind": "pair" if " - " in c.name else "policy", "a": c.eval_variance,
                         "b": c.calibration_variance, "family": len(pilot.pairs)})
    return rows


def realise_cell(cell: Cell) -> list[Row]:
    sim = simulate_dataset(cell["n"], seed=80_000 + cell["seed"])
    result = analyze(sim.dataset, AnalysisSettings(estimators=ESTIMATORS, oracle_coverage=cell["m"] / cell["n"],
                                                   seed=cell["seed"]))
    rows = []
    for estimator in ESTIMATORS:
        for policy in result.policies:
            estimate = result.estimate(estimator, policy)
            low, high = estimate.ci(LEVEL)
            rows.append({**cell, "estimator": estimator, "name": policy, "half_width": (high - low) / 2,
                         "se": estimate.se, "declared": None})
        pair = result.comparisons[estimator].pair(*PAIR)
        if pair is not None:
            rows.append({**cell, "estimator": estimator, "name": " - ".join(PAIR), "half_width": None,
                         "se": pair.difference.se,
                         "declared": bool(pair.significant(1 - LEVEL) and pair.difference.value > 0)})
    return rows


def _components(pilots: pd.DataFrame, pilot: int, estimator: str, kind: str) -> list[Components]:
    rows = pilots[(pilots["pilot"] == pilot) & (pilots["estimator"] == estimator) & (pilots["kind"] == kind)]
    return [Components(r["name"], r["a"], r["b"]) for _, r in rows.iterrows()]


def plans(pilots: pd.DataFrame) -> list[dict]:
    """Every (pilot, goal) plan, and the fixed-share plans for comparison."""
    found = []
    for pilot in sorted(pilots["pilot"].unique()):
        for estimator in ESTIMATORS:
            policies = _components(pilots, pilot, estimator, "policy")
            for target in HALF_WIDTHS:
                needs = [Requirement(c, Kind.HALF_WIDTH, target, LEVEL) for c in policies]
                found.append(_entry(pilot, estimator, f"half-width {target:g}", needs))
        pairs = {c.name: c for c in _components(pilots, pilot, "direct", "pair")}
        family = int(pilots[(pilots["pilot"] == pilot) & (pilots["estimator"] == "direct")]["family"].iloc[0])
        pair = pairs.get(" - ".join(PAIR)) or pairs[" - ".join(reversed(PAIR))]
        pair = Components(" - ".join(PAIR), pair.eval_variance, pair.calibration_variance)
        for target in DETECTABLE:
            needs = [Requirement(pair, Kind.DETECTABLE, target, 1 - (1 - LEVEL) / family, 0.8)]
            found.append(_entry(pilot, "direct", f"detectable {target:g}", needs) | {"family": family})
    return found


def _entry(pilot: int, estimator: str, goal: str, needs: list[Requirement]) -> dict:
    plan = cheapest_plan(needs, COSTS)
    fixed = {f: fixed_ratio_plan(needs, COSTS, f) for f in FRACTIONS}
    return {"pilot": int(pilot), "estimator": estimator, "goal": goal, "needs": needs, "plan": plan, "fixed": fixed}


def _planned(needs: list[Requirement], n: int, m: int) -> dict[str, float]:
    out = {}
    for r in needs:
        if r.kind is Kind.HALF_WIDTH:
            out[r.name] = Requirement(r.components, Kind.HALF_WIDTH, 1.0, LEVEL).achieved(n, m)
        else:
            out[r.name] = r.components.se(n, m)
    return out


def _predicted_power(requirement: Requirement, n: int, m: int, truth: float) -> float:
    c = requirement.components
    df = c.df(n, m)
    critical = one_sided(0.5 + requirement.level / 2, df)
    return float(stats.norm.sf(critical - truth / c.se(n, m)))


def summarise(entries: list[dict], realised: pd.DataFrame, truth_difference: float) -> str:
    width_rows, detect_rows, cost_rows, fixed_rows = [], [], [], []
    errors = []
    for e in entries:
        plan = e["plan"]
        runs = realised[(realised["n"] == plan.n_prompts) & (realised["m"] == plan.n_labels)
                        & (realised["estimator"] == e["estimator"])]
        planned = _planned(e["needs"], plan.n_prompts, plan.n_labels)
        cheapest_fixed = min((p.cost for p in e["fixed"].values() if p is not None), default=np.inf)
        cost_rows.append([str(e["pilot"]), e["estimator"], e["goal"], f"{plan.n_prompts:,}", f"{plan.n_labels:,}",
                          f"{plan.cost:,.0f}",
                          *[("–" if p is None else f"{p.cost / plan.cost - 1:+.1%}") for p in e["fixed"].values()],
                          "yes" if plan.cost <= cheapest_fixed * (1 + 1e-9) else "NO"])
        if e["goal"].startswith("half-width"):
            for name, value in planned.items():
                got = runs[runs["name"] == name]["half_width"]
                if got.empty:
                    continue
                error = got.mean() / value - 1
                errors.append(error)
                width_rows.append([str(e["pilot"]), e["estimator"], e["goal"], name, num(value), num(got.mean()),
                                   f"{error:+.1%}", str(got.size)])
        else:
            requirement = e["needs"][0]
            got = runs[runs["name"] == requirement.name]
            if got.empty:
                continue
            power = _predicted_power(requirement, plan.n_prompts, plan.n_labels, truth_difference)
            detect_rows.append([str(e["pilot"]), e["goal"], f"{plan.n_prompts:,} / {plan.n_labels:,}",
                                num(planned[requirement.name]), num(got["se"].mean()),
                                f"{got['se'].mean() / planned[requirement.name] - 1:+.1%}", pct(power),
                                pct(got["declared"].astype(float).mean()), str(got.shape[0])])
        if e["goal"] == "half-width 0.015" and e["estimator"] == "direct" and e["pilot"] == entries[0]["pilot"]:
            for fraction in REALISED_FRACTIONS:
                p = e["fixed"][fraction]
                fixed_runs = realised[(realised["n"] == p.n_prompts) & (realised["m"] == p.n_labels)
                                      & (realised["estimator"] == "direct")]
                for name, value in _planned(e["needs"], p.n_prompts, p.n_labels).items():
                    got = fixed_runs[fixed_runs["name"] == name]["half_width"]
                    if not got.empty:
                        fixed_rows.append([f"{fraction:.0%}", f"{p.n_prompts:,} / {p.n_labels:,}", f"{p.cost:,.0f}",
                                           name, num(value), num(got.mean()), f"{got.mean() / value - 1:+.1%}"])
    errors_array = np.abs(np.array(errors))
    text = [
        f"Costs: judge 1, oracle 16, fresh draw 1, four target policies (a prompt costs {COSTS.per_prompt:g}). "
        f"Pilots: {PILOT_SIZE:,} prompts at {PILOT_COVERAGE:.0%} oracle ({int(PILOT_SIZE * PILOT_COVERAGE)} labels), "
        f"per-label variance from a {PILOT_FOLDS}-group jackknife. Realised runs use the default analysis "
        "(10-group jackknife).\n",
        f"**Half-width goals: planned vs realised mean 95% CI half-width** (all {len(errors)} policy x goal x pilot "
        f"cells: largest miss {errors_array.max():.1%}, mean absolute miss {errors_array.mean():.1%}, "
        f"{(errors_array <= 0.15).mean():.0%} within ±15%)\n",
        markdown(["pilot", "estimator", "goal", "policy", "planned", "realised", "miss", "runs"], width_rows),
        "\n**Detectable-difference goals (premium - clone, direct)**: planned vs realised SE of the paired "
        f"difference, and the share of runs declaring premium > clone (Holm) against the plan's prediction at the "
        f"true difference {truth_difference:.4f}\n",
        markdown(["pilot", "goal", "prompts / labels", "planned SE", "realised SE", "miss", "predicted power",
                  "realised power", "runs"], detect_rows),
        "\n**Cost of the planned (square-root) allocation against fixed oracle shares for the same goal** "
        "(extra cost of each fixed share; '–': no size reaches the goal)\n",
        markdown(["pilot", "estimator", "goal", "prompts", "labels", "cost", *[f"{f:.0%}" for f in FRACTIONS],
                  "cheapest?"], cost_rows),
        "\n**Fixed-share plans realised** (half-width 0.015, direct, first pilot): the fixed shares also deliver "
        "their planned width, at the higher cost shown above\n",
        markdown(["oracle share", "prompts / labels", "cost", "policy", "planned", "realised", "miss"], fixed_rows),
    ]
    return "\n".join(text)


@command(help=__doc__)
@click.option("--pilots", type=click.IntRange(1), default=3, show_default=True, help="Pilot datasets planned from.")
@click.option("--runs", type=click.IntRange(2), default=40, show_default=True, help="Realisations per plan.")
@jobs_option
@output_dir_option
@readme_option
@quiet_option
def main(pilots, runs, jobs, out, readme, quiet):
    pilot_rows = pd.DataFrame(run_cells(pilot_cell, [{"pilot": p} for p in range(pilots)],
                                        out / "planner_pilots.jsonl", jobs=jobs, quiet=quiet, label="pilots"))
    entries = plans(pilot_rows)
    sizes = {(e["plan"].n_prompts, e["plan"].n_labels) for e in entries}
    first = entries[0]["pilot"]
    for e in entries:
        if e["goal"] == "half-width 0.015" and e["estimator"] == "direct" and e["pilot"] == first:
            sizes |= {(e["fixed"][f].n_prompts, e["fixed"][f].n_labels) for f in REALISED_FRACTIONS}
    cells = [{"n": n, "m": m, "seed": s} for n, m in sorted(sizes) for s in range(runs)]
    realised = pd.DataFrame(run_cells(realise_cell, cells, out / "planner_runs.jsonl", jobs=jobs, quiet=quiet,
                                      label="realisations"))
    truth = simulate_dataset(10, seed=0).truth
    publish(summarise(entries, realised, truth[PAIR[0]] - truth[PAIR[1]]), "planner", out, readme=readme,
            quiet=quiet)


if __name__ == "__main__":
    main()
