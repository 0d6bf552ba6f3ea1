#!/usr/bin/env python3
"""Is an `ok` ever confidently wrong? Runs every hard regime of
cje.world.regimes over many seeds with every estimator and reports, per
regime and estimator: the coverage of intervals marked ok, the share of
estimates flagged (warn or refuse), the RMSE, and the silent failure rate
(the share of ok intervals that miss the truth).

\b
Outputs in --output-dir: cells.jsonl (every estimator x policy x seed, appended as
each seed finishes; re-running skips finished seeds), adversarial.md (the
tables). --readme also rewrites the adversarial section of
benchmarks/README.md.

\b
Examples:
  .venv/bin/python benchmarks/adversarial.py --seeds 40 --jobs 2 --readme
  .venv/bin/python benchmarks/adversarial.py --regimes support-gap,few-labels --seeds 5
"""

from __future__ import annotations

import json
import multiprocessing
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import click

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.lib.adversarial import Cell, run_cell, summarise  # noqa: E402
from benchmarks.lib.adversarial_report import markdown_report  # noqa: E402
from benchmarks.lib.grid import library_digest  # noqa: E402
from benchmarks.lib.readme import update_sections  # noqa: E402
from cje.cli.errors import command  # noqa: E402
from cje.world.regimes import REGIMES  # noqa: E402


def _parse_regimes(text: str | None) -> tuple[str, ...]:
    if not text:
        return tuple(REGIMES)
    names = tuple(n.strip() for n in text.split(",") if n.strip())
    unknown = [n for n in names if n not in REGIMES]
    if unknown:
        raise click.BadParameter(f"unknown regimes {unknown}; choose from {', '.join(REGIMES)}")
    return names


def _rows(log: Path, code: str) -> list[dict]:
    """Rows of the log computed by this version of the analysis code."""
    if not log.exists():
        return []
    rows = (json.loads(line) for line in log.read_text(encoding="utf-8").splitlines() if line.strip())
    return [row for row in rows if row.get("code") == code]


@command(help=__doc__)
@click.option("--seeds", type=click.IntRange(1), default=40, show_default=True, help="Seeds per regime.")
@click.option("--regimes", "regime_text", default=None, help="Comma-separated regimes [default: all].")
@click.option("--jobs", type=click.IntRange(1), default=1, show_default=True, help="Worker processes.")
@click.option("--output-dir", "out", type=click.Path(file_okay=False, path_type=Path),
              default=ROOT / "benchmarks" / "results" / "adversarial", show_default="benchmarks/results/adversarial",
              help="Directory for the cell log and the tables.")
@click.option("--readme", is_flag=True, help="Also rewrite the adversarial section of benchmarks/README.md.")
def main(seeds: int, regime_text: str | None, jobs: int, out: Path, readme: bool) -> None:
    regimes = _parse_regimes(regime_text)
    out.mkdir(parents=True, exist_ok=True)
    log = out / "cells.jsonl"
    code = library_digest()[:12]
    done = {(row["regime"], row["seed"]) for row in _rows(log, code)}
    todo = [Cell(r, s) for r in regimes for s in range(seeds) if (r, s) not in done]
    start = time.perf_counter()
    with log.open("a", encoding="utf-8") as handle:
        for index, rows in enumerate(_run(todo, jobs), start=1):
            handle.write("".join(json.dumps({**row, "code": code}) + "\n" for row in rows))
            handle.flush()
            if index % 20 == 0 or index == len(todo):
                click.echo(f"{index}/{len(todo)} seeds done ({time.perf_counter() - start:.0f} s)", err=True)
    rows = [r for r in _rows(log, code) if r["regime"] in regimes and r["seed"] < seeds]
    table = summarise(rows)
    report = markdown_report(table, rows, seeds=seeds)
    (out / "adversarial.md").write_text(report, encoding="utf-8")
    click.echo(report)
    if readme:
        update_sections(ROOT / "benchmarks" / "README.md", {"adversarial": report})


def _run(cells: list[Cell], jobs: int):  # type: ignore[no-untyped-def]
    if jobs <= 1:
        for cell in cells:
            yield run_cell(cell)
        return
    with ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context("spawn")) as pool:
        yield from pool.map(run_cell, cells, chunksize=2)


if __name__ == "__main__":
    main()
