#!/usr/bin/env python3
"""Active labelling (--suggest-labels): do suggested oracle labels buy narrower
intervals than random ones?

\b
Logged labels. Each run simulates 2,000 prompts (every logged response has a
label in reserve; none is used unless chosen), starts from 50 random labels
(2.5%), then adds K labels either at random or as suggested (the analysis of
the first 50 chooses them), and analyses both with the default settings.
Random is also run with 1.25, 1.5 and 2 times K, so that the number of random
labels matching the suggested labels' width can be read off (label savings).
Three worlds:
  default          the benchmarks' world: the target policies' responses fall
                   on judge scores in nearly the same proportions as the
                   logger's
  indifferent-logger  the logging policy (and its clone) ignore quality, so
                   the better targets' responses sit where the logger's are
                   fewer
  adverse-logger   the logging policy prefers worse responses: the targets'
                   responses sit where the logger's rarely do
Widths and coverage pool clone, parallel_universe_prompt and premium.

\b
Probe labels. Default world, 2,000 prompts, 400 logger labels and 10 probe
labels per target policy: the suggested probe draws (for policies whose
transport check is undecided) against as many random fresh-draw labels
spread over all target policies; scored by the share of honest policies
whose check is then decided, and the direct estimates' width.

\b
Outputs in --output-dir: the append-only cell logs (rerunning resumes) and
decisions-active.md; --readme also writes benchmarks/tables/decisions-active.md
and the decisions-active section of benchmarks/README.md.

\b
Example:
  .venv/bin/python benchmarks/decisions_active.py --readme
"""

from __future__ import annotations

import sys
from dataclasses import replace
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
from cje.data.tables import Dataset  # noqa: E402
from cje.labelling.suggest import MIN_PREDICTED_GAIN, suggest_labels  # noqa: E402
from cje.world import simulate_dataset  # noqa: E402
from cje.world.config import WorldConfig, default_behaviours  # noqa: E402

ESTIMATORS = ("direct", "calibrated-dr-cpo", "stacked-dr")
HONEST = ("clone", "parallel_universe_prompt", "premium")
TARGETS = (*HONEST, "unhelpful")
N_PROMPTS, INITIAL = 2000, 50
RANDOM_FACTORS = (1.0, 1.25, 1.5, 2.0)
PROBE_OVERLAP, PROBE_LOGGER_LABELS = 2.0, 1000
LEVEL = 0.95


def _logger_slope(slope: float) -> WorldConfig:
    """The logging policy (and its clone) with another quality slope; it never
    writes the judge-fooling responses, so that the judge -> oracle map it
    labels is the one the honest targets face (transport holds)."""
    behaviours = tuple(replace(b, quality_slope=slope, deceptive_bias=-10.0) if b.name in ("base", "clone") else b
                       for b in default_behaviours())
    return WorldConfig(behaviours=behaviours)


WORLDS = {"default": WorldConfig, "indifferent-logger": lambda: _logger_slope(0.0),
          "adverse-logger": lambda: _logger_slope(-1.0)}


def _masked(dataset: Dataset, logged: np.ndarray, fresh: dict[str, np.ndarray] | None = None) -> Dataset:
    table = dataset.logged
    changed = replace(dataset, logged=replace(table, oracle_label=np.where(logged, table.oracle_label, np.nan)))
    if fresh is None:
        return changed
    return replace(changed, fresh={p: replace(f, oracle_label=np.where(fresh[p], f.oracle_label, np.nan))
                                   for p, f in dataset.fresh.items()})


def _scored(dataset: Dataset, truth: dict[str, float], seed: int, **labels: object) -> list[Row]:
    result = analyze(dataset, AnalysisSettings(estimators=ESTIMATORS, seed=seed))
    rows = []
    for estimator in ESTIMATORS:
        for policy in TARGETS:
            estimate = result.estimate(estimator, policy)
            low, high = estimate.ci(LEVEL)
            rows.append({**labels, "estimator": estimator, "policy": policy, "honest": policy in HONEST,
                         "width": high - low,
                         "covered": bool(low <= truth[policy] <= high), "error": estimate.value - truth[policy],
                         "transport": str(result.policies[policy].transport.audit)
                         if result.policies[policy].transport is not None else None})
    return rows


def logged_cell(cell: Cell) -> list[Row]:
    sim = simulate_dataset(N_PROMPTS, seed=60_000 + cell["seed"], config=WORLDS[cell["world"]]())
    rng = np.random.default_rng(cell["seed"])
    initial = np.zeros(N_PROMPTS, dtype=bool)
    initial[rng.choice(N_PROMPTS, INITIAL, replace=False)] = True
    start = _masked(sim.dataset, initial)
    first = analyze(start, AnalysisSettings(estimators=("direct",), seed=cell["seed"]))
    suggested = suggest_labels(first, start, cell["k"], estimator="direct", seed=cell["seed"])
    position = {pid: i for i, pid in enumerate(sim.dataset.logged.prompt_id)}
    active = initial.copy()
    active[[position[s.prompt_id] for s in suggested.logged]] = True
    rows = _scored(_masked(sim.dataset, active), dict(sim.truth), cell["seed"], arm="active",
                   labels=int(active.sum()), predicted_gain=suggested.predicted_gain_over_random)
    order = rng.permutation(np.flatnonzero(~initial))
    for factor in RANDOM_FACTORS:
        chosen = initial.copy()
        chosen[order[: int(round(factor * cell["k"]))]] = True
        rows += _scored(_masked(sim.dataset, chosen), dict(sim.truth), cell["seed"], arm=f"random x{factor:g}",
                        labels=int(chosen.sum()))
    return [{**cell, **r} for r in rows]


def probe_cell(cell: Cell) -> list[Row]:
    sim = simulate_dataset(N_PROMPTS, seed=65_000 + cell["seed"], fresh_oracle_fraction=1.0,
                           config=WorldConfig(overlap=PROBE_OVERLAP))
    rng = np.random.default_rng(cell["seed"])
    logged = np.zeros(N_PROMPTS, dtype=bool)
    logged[rng.choice(N_PROMPTS, PROBE_LOGGER_LABELS, replace=False)] = True
    probes = {p: np.isin(np.arange(f.n), rng.choice(f.n, 10, replace=False)) for p, f in sim.dataset.fresh.items()}
    start = _masked(sim.dataset, logged, probes)
    first = analyze(start, AnalysisSettings(estimators=("direct",), seed=cell["seed"]))
    suggested = suggest_labels(first, start, 0, estimator="direct", seed=cell["seed"])
    active = {p: v.copy() for p, v in probes.items()}
    for s in suggested.probes:
        fresh = sim.dataset.fresh[s.policy]
        active[s.policy][np.flatnonzero(fresh.prompt_id == s.prompt_id)[s.draw_idx]] = True
    count = len(suggested.probes)
    pool = [(p, i) for p, v in probes.items() for i in np.flatnonzero(~v)]
    random = {p: v.copy() for p, v in probes.items()}
    for j in rng.choice(len(pool), count, replace=False):
        random[pool[j][0]][pool[j][1]] = True
    rows = _scored(_masked(sim.dataset, logged, active), dict(sim.truth), cell["seed"], arm="active",
                   probes=count)
    rows += _scored(_masked(sim.dataset, logged, random), dict(sim.truth), cell["seed"], arm="random", probes=count)
    rows += _scored(start, dict(sim.truth), cell["seed"], arm="before", probes=0)
    return [{**cell, **r} for r in rows]


def _matching_labels(random: pd.DataFrame, width: float) -> float:
    """Random labels giving ``width``, interpolated over the random arms."""
    curve = random.groupby("labels")["width"].mean().sort_index()
    labels, widths = curve.index.to_numpy(dtype=float), curve.to_numpy()
    if width < widths.min():
        return float("nan")  # beyond the largest random arm: at least that many
    return float(np.interp(width, widths[::-1], labels[::-1]))


def _saved(active: pd.DataFrame, random: pd.DataFrame, labels: int) -> str:
    same = random[random["arm"] == "random x1"]["width"].mean()
    if active["width"].mean() >= same:
        return "none (wider)"
    match = _matching_labels(random, active["width"].mean())
    if np.isnan(match):
        return "more than " + pct(1 - labels / random["labels"].max())
    return pct(1 - labels / match)


def logged_table(frame: pd.DataFrame) -> str:
    rows = []
    for (world, k, estimator), block in frame.groupby(["world", "k", "estimator"], sort=False):
        labels = INITIAL + k
        cells = [world, str(labels), estimator]
        for group in (block, block[block["honest"]]):
            active = group[group["arm"] == "active"]
            random = group[group["arm"].str.startswith("random")]
            same = random[random["arm"] == "random x1"]
            cells += [num(same["width"].mean()), num(active["width"].mean()),
                      pct(1 - active["width"].mean() / same["width"].mean()), _saved(active, random, labels)]
        honest = block[block["honest"]]
        gain = block[block["arm"] == "active"]["predicted_gain"]
        cells += [pct(honest[honest["arm"] == "random x1"]["covered"].mean()),
                  pct(honest[honest["arm"] == "active"]["covered"].mean()), pct(gain.mean()),
                  pct((gain >= MIN_PREDICTED_GAIN).mean())]
        rows.append(cells)
    seeds = frame["seed"].nunique()
    return (f"**Logged labels** ({seeds} seeds per row; {INITIAL} random labels first, then K random or suggested; "
            "mean widths of 95% intervals over all four target policies and over the three honest ones; coverage "
            "over the honest ones, since the judge-fooling unhelpful is biased without a probe slice)\n\n"
            + markdown(["world", "labels", "estimator", "all: random width", "all: suggested width", "narrower by",
                        "random labels saved", "honest: random width", "honest: suggested width", "narrower by",
                        "random labels saved", "random: coverage", "suggested: coverage",
                        "predicted gain (variance)", "runs with targeted labels"], rows)
            + f"\nWhere the predicted gain is under {MIN_PREDICTED_GAIN:.0%} the suggestion is a random sample, so the "
            "two arms are two random samples and their difference is noise: six independent random arms of the "
            "default world at 100 labels (direct, honest policies, the same 60 seeds) had mean widths from 0.0544 "
            "to 0.0606, pairwise differences of up to 11% (5% on average).\n")


CEILING_PROMPTS, CEILING_SEED = 20_000, 1


def _level_shares(scores: np.ndarray, levels: np.ndarray) -> np.ndarray:
    return np.bincount(np.searchsorted(levels, scores), minlength=levels.size) / scores.size


def allocation_ceilings(world: WorldConfig, groups: tuple[tuple[str, ...], ...]) -> list[float]:
    """For each group of policies: how much narrower the calibration part of
    their intervals could get under the best possible allocation of labels over judge-score
    levels, against labelling the logger's responses at random.

    Model: each level's map value is estimated from that level's labels alone
    (variance 1/labels there, equal noise everywhere), and a policy's estimate
    averages the levels by its responses' shares ``p_t``. Random labels fall in
    proportion to the logger's shares ``p_0``, giving total variance
    ``sum_t sum_l p_t(l)^2 / p_0(l)``; the best allocation (labels in proportion
    to ``sqrt(sum_t p_t(l)^2)``) gives ``(sum_l sqrt(sum_t p_t(l)^2))^2``. It
    is a ceiling for the width of the whole interval too, which also carries
    the prompts' own noise that no label reduces; isotonic pooling of
    neighbouring levels moves it a little either way.
    """
    sim = simulate_dataset(CEILING_PROMPTS, seed=CEILING_SEED, config=world)
    logged = np.asarray(sim.dataset.logged.judge_score, dtype=float)
    levels = np.unique(logged)
    logger_share = _level_shares(logged, levels)
    share = {p: _level_shares(np.asarray(f.judge_score, dtype=float), levels) for p, f in sim.dataset.fresh.items()}
    return [ceiling_from_shares(logger_share, np.array([share[p] for p in group])) for group in groups]


def ceiling_from_shares(logger_share: np.ndarray, shares: np.ndarray) -> float:
    """``allocation_ceilings`` from the logger's share of each level and the
    targets' (one row per policy)."""
    random = float(np.sum(shares**2 / logger_share))
    best = float(np.sum(np.sqrt(np.sum(shares**2, axis=0))) ** 2)
    return 1.0 - float(np.sqrt(best / random))


def ceiling_table() -> str:
    rows = [[world, *map(pct, allocation_ceilings(make(), (TARGETS, HONEST)))] for world, make in WORLDS.items()]
    return (f"\n**The most any allocation could gain** (a model, not a run: {CEILING_PROMPTS:,} simulated prompts "
            "per world, each judge-score level's map value estimated from its own labels; how much narrower the "
            "calibration part of the intervals gets with the best allocation over levels than with random logged "
            "labels, for all four target policies and for the honest three; see `allocation_ceilings`)\n\n"
            + markdown(["world", "all: ceiling", "honest: ceiling"], rows))


def probe_table(frame: pd.DataFrame) -> str:
    direct = frame[(frame["estimator"] == "direct") & frame["honest"]]
    rows = []
    for arm in ("before", "random", "active"):
        block = direct[direct["arm"] == arm]
        decided = block["transport"].isin(["pass", "fail"]).mean()
        rows.append([arm, num(block["probes"].mean(), 1), pct(decided), num(block["width"].mean()),
                     pct(block["covered"].mean())])
    return (f"\n**Probe labels** (world with overlap {PROBE_OVERLAP:g}: raw weights too poor for the logged residuals "
            f"to vouch for transport; {PROBE_LOGGER_LABELS} logger labels and 10 probe labels per target policy first; "
            f"{frame['seed'].nunique()} seeds; direct estimates of the honest policies)\n\n"
            + markdown(["labels added", "probe labels added", "transport decided", "direct: width", "coverage"],
                       rows))


@command(help=__doc__)
@click.option("--seeds", type=click.IntRange(1), default=60, show_default=True,
              help="Seeds per world and budget of the logged-label runs.")
@click.option("--budgets", default="50,150", show_default=True,
              help="Comma-separated labels K added after the first 50.")
@click.option("--probe-seeds", type=click.IntRange(0), default=40, show_default=True,
              help="Seeds of the probe-label runs (0: none).")
@jobs_option
@output_dir_option
@readme_option
@quiet_option
def main(seeds, budgets, probe_seeds, jobs, out, readme, quiet):
    cells = [{"world": w, "k": int(k), "seed": s} for w in WORLDS for k in budgets.split(",") for s in range(seeds)]
    logged = pd.DataFrame(run_cells(logged_cell, cells, out / "active_logged.jsonl", jobs=jobs, quiet=quiet,
                                    label="logged labels"))
    text = logged_table(logged) + ceiling_table()
    if probe_seeds:
        probes = pd.DataFrame(run_cells(probe_cell, [{"seed": s} for s in range(probe_seeds)],
                                        out / "active_probes.jsonl", jobs=jobs, quiet=quiet, label="probe labels"))
        text += probe_table(probes)
    publish(text, "active", out, readme=readme, quiet=quiet)


if __name__ == "__main__":
    main()
