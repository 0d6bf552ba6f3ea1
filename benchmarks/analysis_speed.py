#!/usr/bin/env python3
"""Speed and memory targets of the analysis (the analysis issue's acceptance).

1. ``--estimator all`` on 1,000 prompts x 3 target policies at 10% oracle
   coverage, after imports: target under 2 s. Uses the real Arena sample when
   ../shared/data is present, else a simulated dataset of the same shape.
2. ``calibrated-ips`` and ``dr-cpo`` on 1,000,000 prompts x 4 target policies
   (simulated, with fresh draws) at 10% coverage, end to end through
   ``analyze_dataset.py`` in a child process: target under 60 s wall time and
   under 4 GiB peak resident memory.

Usage: .venv/bin/python benchmarks/analysis_speed.py [--large-prompts 1000000] [--skip-large]
Writes benchmarks/results/analysis_speed.json and prints a table.
"""

from __future__ import annotations

import platform
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

import click

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from cje.analysis import AnalysisSettings, analyze, estimator_names  # noqa: E402
from cje.cli.errors import command  # noqa: E402
from cje.data.load import load_dataset  # noqa: E402
from cje.io.atomic import write_json_atomic  # noqa: E402
from cje.plots.save import save_analysis_plots  # noqa: E402
from cje.world import WorldConfig, simulate_dataset, write_simulated_dataset  # noqa: E402
from cje.world.config import default_behaviours  # noqa: E402

ARENA = ROOT.parent / "shared" / "data" / "arena_sample"
RESULTS = ROOT / "benchmarks" / "results"


def small_dataset(workdir: Path) -> tuple[Path, Path | None, str]:
    if (ARENA / "logged_data.jsonl").exists():
        return ARENA / "logged_data.jsonl", ARENA / "fresh_draws", "real Arena sample (1,000 x 3)"
    three_targets = WorldConfig(behaviours=tuple(b for b in default_behaviours() if b.name != "premium"))
    sim = simulate_dataset(1000, seed=1, config=three_targets)
    return write_simulated_dataset(sim, workdir / "small"), None, "simulated (1,000 x 3)"


def time_small(workdir: Path, repeats: int) -> dict[str, object]:
    """Load + analyse, and separately the plots a default run also draws."""
    data, fresh, label = small_dataset(workdir)
    settings = AnalysisSettings(estimators=estimator_names(), oracle_coverage=0.1)
    timings, plot_timings = [], []
    for _run in range(repeats):
        start = time.perf_counter()
        dataset = load_dataset(data, fresh)
        result = analyze(dataset, settings)
        timings.append(time.perf_counter() - start)
        start = time.perf_counter()
        save_analysis_plots(result, dataset, workdir / "plots")
        plot_timings.append(time.perf_counter() - start)
    return {"dataset": label, "median_s": statistics.median(timings), "max_s": max(timings),
            "plots_median_s": statistics.median(plot_timings), "runs": repeats, "target_s": 2.0}


def time_large(workdir: Path, n_prompts: int) -> dict[str, object]:
    directory = workdir / f"large_{n_prompts}"
    if not (directory / "cje_dataset.jsonl").exists():
        write_simulated_dataset(simulate_dataset(n_prompts, seed=3), directory)
    command = [sys.executable, str(ROOT / "analyze_dataset.py"), "--data", str(directory / "cje_dataset.jsonl"),
               "--estimator", "calibrated-ips,dr-cpo", "--oracle-coverage", "0.1", "--no-plots", "--quiet"]
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    start = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - start
    peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    dataset = load_dataset(directory / "cje_dataset.jsonl")
    start = time.perf_counter()
    analyze(dataset, AnalysisSettings(estimators=("calibrated-ips", "dr-cpo"), oracle_coverage=0.1))
    analysis_only = time.perf_counter() - start
    return {"prompts": n_prompts, "policies": len(dataset.logged.policies), "wall_s_end_to_end": wall,
            "analysis_only_s": analysis_only, "peak_rss_gib": max(peak_kib, before) / 2**20,
            "target_s": 60.0, "target_gib": 4.0}


@command()
@click.option("--large-prompts", type=int, default=1_000_000, show_default=True,
              help="Prompts of the large benchmark (four policies each).")
@click.option("--skip-large", is_flag=True, help="Only the 1,000-prompt benchmark.")
@click.option("--repeats", type=int, default=5, show_default=True,
              help="Runs of the 1,000-prompt benchmark (the median counts).")
@click.option("--workdir", type=click.Path(file_okay=False, path_type=Path),
              default=RESULTS / "data", show_default="benchmarks/results/data",
              help="Where generated datasets are kept.")
def main(large_prompts: int, skip_large: bool, repeats: int, workdir: Path) -> None:
    workdir.mkdir(parents=True, exist_ok=True)
    report = {"machine": f"{platform.machine()}, {platform.processor() or 'cpu'}, "
                         f"Python {platform.python_version()}",
              "small": time_small(workdir, repeats)}
    small = report["small"]
    click.echo(f"--estimator all, {small['dataset']}, 10% oracle: load + analysis median "
               f"{small['median_s']:.2f} s (max {small['max_s']:.2f} s) over {repeats} runs, plus "
               f"{small['plots_median_s']:.2f} s for the plots (skipped by --no-plots); target < 2 s")
    if not skip_large:
        report["large"] = large = time_large(workdir, large_prompts)
        click.echo(f"calibrated-ips + dr-cpo, {large['prompts']:,} prompts x {large['policies']} policies: "
                   f"{large['wall_s_end_to_end']:.1f} s end to end ({large['analysis_only_s']:.1f} s of "
                   f"analysis after loading), peak RSS {large['peak_rss_gib']:.2f} GiB; "
                   "targets < 60 s, < 4 GiB")
    write_json_atomic(RESULTS / "analysis_speed.json", report)


if __name__ == "__main__":
    main()
