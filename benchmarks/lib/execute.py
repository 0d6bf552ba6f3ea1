"""Run units in this process or in a pool of worker processes.

Results are yielded as each unit finishes, so the caller can append them to
the log at once (a crash loses at most the units in flight) and advance a
progress bar.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Iterator
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait

from benchmarks.lib.grid import Unit
from benchmarks.lib.runner import RunSettings, run_unit
from benchmarks.lib.sources import Source


def run_units(source: Source, units: list[Unit], settings: RunSettings, *, jobs: int) -> Iterator[list[dict]]:
    """Yield each unit's rows as it completes (completion order under ``jobs > 1``)."""
    if jobs <= 1:
        for unit in units:
            yield run_unit(source, unit, settings)
        return
    # spawn, not fork: the parent may hold threads (the progress bar's monitor)
    # whose locks a forked child would inherit mid-use.
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=jobs, mp_context=context) as pool:
        queue = iter(units)
        # Keep a few units per worker in flight, not the whole grid: an
        # interrupted run then has little work submitted and unfinished.
        running = {pool.submit(run_unit, source, unit, settings) for unit in _take(queue, 2 * jobs)}
        while running:
            done, running = wait(running, return_when=FIRST_COMPLETED)
            for future in done:
                yield future.result()
            running |= {pool.submit(run_unit, source, unit, settings) for unit in _take(queue, len(done))}


def _take(iterator: Iterator[Unit], count: int) -> list[Unit]:
    taken = []
    for _ in range(count):
        unit = next(iterator, None)
        if unit is None:
            break
        taken.append(unit)
    return taken
