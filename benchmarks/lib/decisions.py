"""Shared machinery of the decision benchmarks (``benchmarks/decisions_*.py``).

Each benchmark is a grid of independent cells (one seeded simulation and its
analyses). Finished cells are appended to a JSONL log as they complete, keyed
by the cell's parameters and a digest of the library code that computes them;
a rerun skips the cells already computed by the same code, so an interrupted
run resumes and a changed library recomputes everything.
"""

from __future__ import annotations

import json
import multiprocessing
import os
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from pathlib import Path
from typing import Any

import click
from tqdm import tqdm

from benchmarks.lib.grid import ANALYSIS_CODE, library_digest

Cell = dict[str, Any]
Row = dict[str, Any]


# The decision benchmarks also run the planner and the label suggestions.
DECISION_CODE = (*ANALYSIS_CODE, "planning", "labelling")


def cell_key(cell: Cell, code: str) -> str:
    """The cell's parameters and the digest of the code that computes it."""
    return json.dumps({"cell": cell, "code": code}, sort_keys=True)


def read_log(path: Path) -> dict[str, list[Row]]:
    """Finished cells' rows by cell key (a torn last line is ignored)."""
    done: dict[str, list[Row]] = {}
    if not path.exists():
        return done
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            entry = json.loads(line)
        except json.JSONDecodeError:
            continue
        done[entry["key"]] = entry["rows"]
    return done


def _compute(function: Callable[[Cell], list[Row]], cell: Cell) -> tuple[Cell, list[Row]]:
    return cell, function(cell)


def _results(function: Callable[[Cell], list[Row]], cells: list[Cell], jobs: int) -> Iterator[tuple[Cell, list[Row]]]:
    if jobs <= 1:
        for cell in cells:
            yield _compute(function, cell)
        return
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=jobs, mp_context=context) as pool:
        queue = iter(cells)
        running = {pool.submit(_compute, function, c) for c in _take(queue, 2 * jobs)}
        while running:
            finished, running = wait(running, return_when=FIRST_COMPLETED)
            for future in finished:
                yield future.result()
            running |= {pool.submit(_compute, function, c) for c in _take(queue, len(finished))}


def _take(iterator: Iterator[Cell], count: int) -> list[Cell]:
    return [cell for _, cell in zip(range(count), iterator)]


def run_cells(function: Callable[[Cell], list[Row]], cells: Iterable[Cell], log: Path, *, jobs: int,
              quiet: bool = False, label: str = "cells") -> list[Row]:
    """Every cell's rows, computing only those missing from ``log``.

    ``function`` must be importable (a module-level function) for ``jobs > 1``.
    """
    cells = list(cells)
    code = library_digest(DECISION_CODE)
    done = read_log(log)
    pending = [c for c in cells if cell_key(c, code) not in done]
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("a", encoding="utf-8") as handle, tqdm(total=len(pending), desc=label, disable=quiet) as bar:
        for cell, rows in _results(function, pending, jobs):
            handle.write(json.dumps({"key": cell_key(cell, code), "rows": rows}) + "\n")
            handle.flush()
            os.fsync(handle.fileno())
            done[cell_key(cell, code)] = rows
            bar.update()
    return [row for cell in cells for row in done[cell_key(cell, code)]]


BENCHMARKS = Path(__file__).resolve().parent.parent
RESULTS = BENCHMARKS / "results" / "decisions"

output_dir_option = click.option(
    "--output-dir", "out", type=click.Path(file_okay=False, path_type=Path), default=RESULTS,
    show_default="benchmarks/results/decisions", help="Directory for the cell logs and the tables.")
readme_option = click.option(
    "--readme", is_flag=True,
    help="Also copy the tables to benchmarks/tables/ and rewrite this benchmark's section of benchmarks/README.md.")
jobs_option = click.option("--jobs", type=click.IntRange(1), default=1, show_default=True, help="Worker processes.")
quiet_option = click.option("--quiet", is_flag=True, help="No progress bar and no tables on the terminal.")


def publish(text: str, name: str, out: Path, *, readme: bool, quiet: bool) -> None:
    """Write ``decisions-<name>.md`` to ``out`` (and, with ``readme``, to
    benchmarks/tables/ and the README section of that name)."""
    out.mkdir(parents=True, exist_ok=True)
    (out / f"decisions-{name}.md").write_text(text, encoding="utf-8")
    if readme:
        from benchmarks.lib.readme import update_sections

        (BENCHMARKS / "tables" / f"decisions-{name}.md").write_text(text, encoding="utf-8")
        update_sections(BENCHMARKS / "README.md", {f"decisions-{name}": text})
    if not quiet:
        click.echo(text)
