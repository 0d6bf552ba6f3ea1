"""One speed measurement, meant to run alone in a fresh process.

``python -m benchmarks.lib.speed_probe DATASET.npz VARIANT --oracle-coverage 0.1``
prints one JSON object: the fastest wall time of up to ``--repeats`` runs of
``analyze`` (after loading), the peak of memory allocated during one more run
as traced by ``tracemalloc`` (numpy reports its buffers to it), and the
process's peak resident set size from ``getrusage`` (dataset + analysis +
interpreter).
"""

from __future__ import annotations

import gc
import json
import resource
import sys
import time
import tracemalloc
from pathlib import Path

import click

from benchmarks.lib.grid import VARIANTS
from benchmarks.lib.speed_data import load_dataset_npz
from cje.analysis import AnalysisSettings, analyze
from cje.cli.errors import command
from cje.data.tables import Dataset

MIB = 2**20


def settings_for(variant: str, coverage: float, n_bootstrap: int) -> AnalysisSettings:
    v = VARIANTS[variant]
    return AnalysisSettings(estimators=(v.estimator,), oracle_coverage=coverage, seed=0,
                            inference=v.inference, n_bootstrap=n_bootstrap)


def time_runs(dataset: Dataset, settings: AnalysisSettings, *, repeats: int, budget_s: float) -> list[float]:
    """Wall times of up to ``repeats`` runs, stopping once ``budget_s`` is spent
    (large inputs get one run). The minimum is the least disturbed by other
    load on the machine."""
    times: list[float] = []
    while len(times) < repeats and sum(times) < budget_s:
        start = time.perf_counter()
        analyze(dataset, settings)
        times.append(time.perf_counter() - start)
    return times


def traced_peak_mib(dataset: Dataset, settings: AnalysisSettings) -> float:
    gc.collect()
    tracemalloc.start()
    try:
        analyze(dataset, settings)
        return tracemalloc.get_traced_memory()[1] / MIB
    finally:
        tracemalloc.stop()


def current_rss_mib() -> float:
    """Resident memory now (Linux /proc; the peak so far elsewhere)."""
    statm = Path("/proc/self/statm")
    if statm.exists():
        pages = int(statm.read_text().split()[1])
        return pages * resource.getpagesize() / MIB
    return peak_rss_mib()


def peak_rss_mib() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / MIB if sys.platform == "darwin" else peak / 1024  # bytes on macOS, KiB on Linux


@command()
@click.argument("data", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@click.argument("variant", type=click.Choice(list(VARIANTS)))
@click.option("--oracle-coverage", "coverage", type=float, default=0.1, show_default=True,
              help="Share of the oracle labels the analysis keeps.")
@click.option("--repeats", type=int, default=3, show_default=True, help="Timed runs (the fastest counts).")
@click.option("--budget-s", type=float, default=20.0, show_default=True,
              help="Stop repeating once the runs took this long.")
@click.option("--n-bootstrap", type=int, default=200, show_default=True, help="Replicates for direct+bootstrap.")
def main(data: Path, variant: str, coverage: float, repeats: int, budget_s: float, n_bootstrap: int) -> None:
    dataset = load_dataset_npz(data)
    settings = settings_for(variant, coverage, n_bootstrap)
    gc.collect()
    dataset_rss = current_rss_mib()
    times = time_runs(dataset, settings, repeats=repeats, budget_s=budget_s)
    traced = traced_peak_mib(dataset, settings)
    click.echo(json.dumps({
        "variant": variant, "n_prompts": dataset.logged.n, "policies": len(dataset.logged.policies),
        "seconds": min(times), "runs": len(times), "all_seconds": times,
        "traced_peak_mib": traced, "rss_before_mib": dataset_rss, "peak_rss_mib": peak_rss_mib(),
    }))


if __name__ == "__main__":
    main()
