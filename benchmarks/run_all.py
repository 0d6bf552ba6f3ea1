#!/usr/bin/env python3
"""Regenerate every benchmark table and the README that holds them.

\b
1. benchmarks/coverage_experiment.py --jobs N   (simulator + arena sample, the default grid)
2. benchmarks/speed.py                          (1e3 ... 1e6 prompts)
3. copies the Markdown tables and the plots to benchmarks/tables/ (versioned;
   results/ is git-ignored) and splices them into benchmarks/README.md between its
   <!-- BEGIN name --> / <!-- END name --> markers, with the machine and the
   wall time of each step.

Finished cells and measurements are reused (both scripts resume), so a
re-run after an interruption only does what is missing; pass --force-speed to
measure speed again. --tables-only skips steps 1-2 and rebuilds the tables
from the results already on disk.

Example:  .venv/bin/python benchmarks/run_all.py --jobs 2
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import click
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.lib.compare import direct_coverage_comparison, headline_comparison, main_comparison  # noqa: E402
from benchmarks.lib.readme import update_sections  # noqa: E402
from benchmarks.lib.speed_run import machine_description  # noqa: E402
from cje.cli.errors import command, user_errors_exit_2  # noqa: E402
from cje.io.atomic import write_text_atomic  # noqa: E402

BENCH = ROOT / "benchmarks"
RESULTS = BENCH / "results"
TABLES = BENCH / "tables"


@command(help=__doc__)
@click.option("--jobs", type=click.IntRange(1), default=2, show_default=True,
              help="Worker processes for the coverage experiment.")
@click.option("--tables-only", is_flag=True, help="Only rebuild tables and README from existing results.")
@click.option("--force-speed", is_flag=True, help="Measure speed again even if results exist.")
@user_errors_exit_2
def main(jobs: int, tables_only: bool, force_speed: bool) -> None:
    timings = {}
    if not tables_only:
        timings["coverage experiment"] = _step([BENCH / "coverage_experiment.py", "--jobs", str(jobs)])
        timings["speed benchmark"] = _step([BENCH / "speed.py", *(["--force"] if force_speed else [])])
    sections = _sections(timings, jobs)
    for name, text in sections.items():
        write_text_atomic(TABLES / f"{name}.md", text)
    _copy_plots()
    update_sections(BENCH / "README.md", sections)
    click.echo(f"updated {BENCH / 'README.md'} and {TABLES}/")


def _step(command: list) -> float:
    click.echo(f"$ {' '.join(str(c) for c in command)}", err=True)
    start = time.perf_counter()
    subprocess.run([sys.executable, *map(str, command)], cwd=ROOT, check=True)
    return time.perf_counter() - start


def _sections(timings: dict[str, float], jobs: int) -> dict[str, str]:
    sim = _regimes("simulator")
    arena = _regimes("arena")
    if sim is None:
        raise click.ClickException("no simulator results: run the coverage experiment first")
    sections = {
        "coverage-simulator": (RESULTS / "coverage" / "simulator" / "readme_tables.md").read_text(),
        "coverage-arena": (RESULTS / "coverage" / "arena" / "readme_tables.md").read_text() if arena is not None
        else "The arena sample (../shared/data/arena_sample) was absent when these tables were made.\n",
        "comparison": "\n".join([
            main_comparison(sim, arena), "**Direct-mode CI coverage by oracle fraction**\n",
            direct_coverage_comparison(sim, arena), "**Headline ranking number**\n", headline_comparison(sim)]),
    }
    speed = RESULTS / "speed" / "speed.md"
    if speed.exists():
        sections["speed"] = speed.read_text()
    if timings:  # --tables-only keeps the wall times of the last full regeneration
        sections["measured"] = _measured(timings, jobs)
    return sections


def _copy_plots() -> None:
    """Versioned copies of the figures the README shows (results/ is git-ignored)."""
    target = TABLES / "plots"
    target.mkdir(parents=True, exist_ok=True)
    for source in ("simulator", "arena"):
        for png in sorted((RESULTS / "coverage" / source / "plots").glob("*.png")):
            shutil.copyfile(png, target / f"{source}_{png.name}")
    if (RESULTS / "speed" / "speed.png").exists():
        shutil.copyfile(RESULTS / "speed" / "speed.png", target / "speed.png")


def _regimes(source: str) -> pd.DataFrame | None:
    path = RESULTS / "coverage" / source / "regimes.csv"
    return pd.read_csv(path) if path.exists() else None


def _measured(timings: dict[str, float], jobs: int) -> str:
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [f"Tables generated {stamp} on: {machine_description()}."]
    steps = "; ".join(f"{name} {seconds / 60:.1f} min" for name, seconds in timings.items())
    lines.append(f"Wall time of this regeneration (coverage experiment with --jobs {jobs}; "
                 "cells already on disk are skipped, so only a run from empty measures the "
                 f"full grid): {steps}.")
    return "\n\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
