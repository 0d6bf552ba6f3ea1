#!/usr/bin/env python3
"""Does --self-check tell the truth? For every hard regime, draws a few
datasets, runs the self-check on each, and compares the coverage it reports
with the coverage the adversarial benchmark measured in that regime (run
benchmarks/adversarial.py first, with the same code). Also times a self-check
on 5,000 prompts.

\b
Examples:
  .venv/bin/python benchmarks/self_check.py --datasets 3 --replays 60 --jobs 2 --readme
  .venv/bin/python benchmarks/self_check.py --regimes benign,support-gap --datasets 1
"""

from __future__ import annotations

import json
import multiprocessing
import sys
import time
from collections import defaultdict
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import click
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.lib.grid import library_digest  # noqa: E402
from benchmarks.lib.readme import update_sections  # noqa: E402
from cje.analysis import AnalysisSettings  # noqa: E402
from cje.analysis.selfcheck import self_check  # noqa: E402
from cje.cli.errors import command  # noqa: E402
from cje.world import simulate_dataset  # noqa: E402
from cje.world.regimes import REGIMES  # noqa: E402

ESTIMATORS = ("direct", "calibrated-ips", "calibrated-dr-cpo", "tmle", "stacked-dr")
DATASET_SEED = 424_242
MIN_OK_CELLS = 30


def check_regime(task: tuple[str, int, int]) -> dict[str, tuple[float, float]]:
    """Pooled self-check coverage per estimator for one dataset of one regime:
    of every interval, and of the intervals marked ok (NaN when none was)."""
    name, dataset, replays = task
    regime = REGIMES[name]
    sim = simulate_dataset(regime.n_prompts, seed=DATASET_SEED + dataset, config=regime.config,
                           draws_per_prompt=regime.draws_per_prompt, fresh_oracle_fraction=regime.probe_fraction,
                           logprob_noise=regime.logprob_noise)
    settings = AnalysisSettings(estimators=ESTIMATORS, oracle_coverage=regime.oracle_coverage, seed=dataset)
    result = self_check(sim.dataset, settings, n_replays=replays, rng=np.random.default_rng(dataset))
    pooled = {}
    for estimator in ESTIMATORS:
        cells = [c for c in result.cells if c.estimator == estimator]
        computed = sum(c.n_computed for c in cells)
        ok = sum(c.ok_share * c.n_computed for c in cells)
        covered_ok = sum(c.ok_coverage * c.ok_share * c.n_computed for c in cells if c.ok_share > 0)
        pooled[estimator] = (sum(c.coverage * c.n_computed for c in cells) / max(1, computed),
                             covered_ok / ok if ok else float("nan"))
    return pooled


def benchmark_coverage(log: Path, code: str) -> dict[tuple[str, str], tuple[float, float, int]]:
    """Coverage of every computed interval and of the ok intervals, per regime
    and estimator, from the adversarial log."""
    hits: dict[tuple[str, str], list[tuple[bool, bool]]] = defaultdict(list)
    for line in log.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        if row.get("code") == code and row["value"] is not None:
            covered = row["low"] <= row["truth"] <= row["high"]
            hits[(row["regime"], row["estimator"])].append((covered, row["status"] == "ok"))
    table = {}
    for key, values in hits.items():
        ok = [covered for covered, is_ok in values if is_ok]
        table[key] = (float(np.mean([c for c, _ in values])), float(np.mean(ok)) if ok else float("nan"), len(ok))
    return table


def time_large(replays: int) -> dict[str, float]:
    sim = simulate_dataset(5000, seed=DATASET_SEED, fresh_oracle_fraction=0.02)
    seconds = {}
    for estimator in ("direct", "stacked-dr"):
        start = time.perf_counter()
        self_check(sim.dataset, AnalysisSettings(estimators=(estimator,), oracle_coverage=0.1), n_replays=replays,
                   rng=np.random.default_rng(0))
        seconds[estimator] = time.perf_counter() - start
    return seconds


@command(help=__doc__)
@click.option("--regimes", "regime_text", default=None, help="Comma-separated regimes [default: all].")
@click.option("--datasets", type=click.IntRange(1), default=3, show_default=True,
              help="Datasets drawn per regime (the self-check runs on each).")
@click.option("--replays", type=click.IntRange(10), default=60, show_default=True, help="Replays per self-check.")
@click.option("--jobs", type=click.IntRange(1), default=1, show_default=True, help="Worker processes.")
@click.option("--adversarial-log", type=click.Path(dir_okay=False, path_type=Path),
              default=ROOT / "benchmarks" / "results" / "adversarial" / "cells.jsonl",
              show_default="benchmarks/results/adversarial/cells.jsonl",
              help="The adversarial benchmark's cell log to compare with.")
@click.option("--readme", is_flag=True, help="Also rewrite the self-check section of benchmarks/README.md.")
def main(regime_text: str | None, datasets: int, replays: int, jobs: int, adversarial_log: Path,
         readme: bool) -> None:
    regimes = tuple(r.strip() for r in regime_text.split(",")) if regime_text else tuple(REGIMES)
    bench = benchmark_coverage(adversarial_log, library_digest()[:12])
    tasks = [(r, d, replays) for r in regimes for d in range(datasets)]
    start = time.perf_counter()
    with ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context("spawn")) as pool:
        pooled = list(pool.map(check_regime, tasks))
    minutes = (time.perf_counter() - start) / 60
    by_regime: dict[str, list[dict[str, float]]] = defaultdict(list)
    for (regime, _, _), values in zip(tasks, pooled):
        by_regime[regime].append(values)
    report = _report(by_regime, bench, datasets, replays, minutes, time_large(100))
    click.echo(report)
    if readme:
        update_sections(ROOT / "benchmarks" / "README.md", {"self-check": report})


def _report(by_regime: dict[str, list[dict[str, tuple[float, float]]]],
            bench: dict[tuple[str, str], tuple[float, float, int]], datasets: int, replays: int, minutes: float,
            large: dict[str, float]) -> str:
    lines = [f"Per regime and estimator: the 95% CI coverage of the intervals marked **ok**, as the adversarial "
             f"benchmark measured it (every target policy, 50 seeds) and as `--self-check` reports it on one "
             f"dataset of that regime ({replays} replays; mean and range over {datasets} datasets), then the same "
             f"for every computed interval, ok or not. Target: the ok coverage within ±7 points. Computed in "
             f"{minutes:.1f} min. Differences resting on fewer than {MIN_OK_CELLS} ok benchmark cells are shown "
             f"in brackets and left out of the largest difference (too few to measure a coverage). "
             "A self-check of 100 replays on 5,000 prompts took "
             + ", ".join(f"{s:.0f} s with {e}" for e, s in large.items()) + ".", "",
             "| regime | estimator | ok: benchmark (cells) | ok: self-check (range) | difference | all: benchmark | "
             "all: self-check |", "|---|---|---|---|---|---|---|"]
    worst = 0.0
    for regime, runs in by_regime.items():
        for estimator in ESTIMATORS:
            all_values = [run[estimator][0] for run in runs]
            ok_values = [run[estimator][1] for run in runs if np.isfinite(run[estimator][1])]
            measured_all, measured_ok, n_ok = bench.get((regime, estimator), (float("nan"), float("nan"), 0))
            ok_mean = float(np.mean(ok_values)) if ok_values else float("nan")
            gap = ok_mean - measured_ok
            enough = n_ok >= MIN_OK_CELLS
            if np.isfinite(gap) and enough:
                worst = max(worst, abs(gap))
            ok_text = f"{ok_mean:.1%} ({min(ok_values):.0%}-{max(ok_values):.0%})" if ok_values else "- (none ok)"
            difference = "-" if not np.isfinite(gap) else f"{100 * gap:+.1f}" if enough else f"({100 * gap:+.1f})"
            lines.append(f"| {regime} | {estimator} | {_pct(measured_ok)} ({n_ok}) | {ok_text} | {difference} | "
                         f"{_pct(measured_all)} | {np.mean(all_values):.1%} |")
    lines += ["", f"Largest difference in ok coverage: {100 * worst:.1f} points."]
    return "\n".join(lines) + "\n"


def _pct(value: float) -> str:
    return "-" if not np.isfinite(value) else f"{value:.1%}"


if __name__ == "__main__":
    main()
