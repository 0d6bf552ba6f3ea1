"""The coverage experiment's command-line options and their parsing."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import click

from benchmarks.lib.grid import VARIANTS
from benchmarks.lib.plan import QUICK, ROOT, Grid

DEFAULT_COVERAGES = (0.05, 0.10, 0.25, 0.50, 1.0)
DEFAULT_SEEDS = 50
DEFAULT_OUT = ROOT / "benchmarks" / "results" / "coverage"

_OPTIONS = [
    click.option("--source", "sources", type=click.Choice(["simulator", "arena"]), multiple=True,
                 default=("simulator", "arena"), show_default=True,
                 help="Built-in source(s); repeat the option for several. Ignored with --data."),
    click.option("--data", type=click.Path(dir_okay=False, exists=True, path_type=Path), default=None,
                 help="Your own dataset JSONL instead of a built-in source."),
    click.option("--fresh-draws-dir", type=click.Path(file_okay=False, exists=True, path_type=Path),
                 default=None, help="Fresh draws of --data [default: responses/ beside it]."),
    click.option("--truth", "truth_file", type=click.Path(dir_okay=False, exists=True, path_type=Path),
                 default=None, help="JSON of true policy values for --data (see above)."),
    click.option("--probe-dir", type=click.Path(file_okay=False, exists=True, path_type=Path), default=None,
                 help="Directory of {policy}_probe.jsonl with oracle labels: truth = their means (noisy)."),
    click.option("--oracle-coverage", "coverages", default=None,
                 help="Comma-separated oracle coverages: the share of the available oracle labels "
                      "kept [default: 0.05,0.1,0.25,0.5,1.0; --quick: 0.05,0.25,1.0]."),
    click.option("--sizes", default=None,
                 help="Comma-separated prompt counts to subsample [default: simulator "
                      "250,500,1000,2500,5000; arena 250,500,1000; your data: 1/4, 1/2, all; "
                      "--quick: 250,1000]."),
    click.option("--seeds", type=click.IntRange(1), default=None,
                 help=f"Seeds per regime (0..N-1) [default: {DEFAULT_SEEDS}; --quick: {QUICK['seeds']}]."),
    click.option("--estimator", "estimators", default="all", show_default=True,
                 help=f"'all' or a comma-separated list of: {', '.join(VARIANTS)}."),
    click.option("--report-separately", "separate", default="unhelpful", show_default=True,
                 help="Comma-separated policies kept out of the RMSE/coverage pool and reported in "
                      "their own table (they still enter ranking). Empty string for none."),
    click.option("--ci-level", type=click.FloatRange(0.5, 0.999), default=0.95, show_default=True,
                 help="Confidence level of the intervals whose coverage is measured."),
    click.option("--n-bootstrap", type=click.IntRange(50), default=500, show_default=True,
                 help="Bootstrap replicates of direct+bootstrap."),
    click.option("--jobs", type=click.IntRange(1), default=1, show_default=True,
                 help="Worker processes (use the number of cores you can spare)."),
    click.option("--quick", is_flag=True,
                 help="A small grid (3 coverages x 2 sizes x 3 seeds) for a smoke run in about a minute."),
    click.option("--output-dir", "out", type=click.Path(file_okay=False, path_type=Path), default=DEFAULT_OUT,
                 show_default="benchmarks/results/coverage",
                 help="Results directory; each source gets a subdirectory."),
    click.option("--quiet", is_flag=True, help="No progress bar, no tables; just the output paths."),
]


def experiment_options(func: Callable) -> Callable:
    for option in reversed(_OPTIONS):
        func = option(func)
    return func


def _floats(text: str, name: str) -> tuple[float, ...]:
    try:
        values = tuple(float(v) for v in text.split(",") if v.strip())
    except ValueError:
        raise click.BadParameter(f"{text!r} is not a comma-separated list of numbers", param_hint=name) from None
    if not values:
        raise click.BadParameter("give at least one value", param_hint=name)
    return values


def parse_grid(coverages: str | None, sizes: str | None, seeds: int | None, estimators: str,
               quick: bool) -> Grid:
    covs = _floats(coverages, "--oracle-coverage") if coverages else (
        QUICK["coverages"] if quick else DEFAULT_COVERAGES)
    if any(not 0 < c <= 1 for c in covs):
        raise click.BadParameter("coverages must be in (0, 1]", param_hint="--oracle-coverage")
    counts = None
    if sizes:
        counts = tuple(int(v) for v in _floats(sizes, "--sizes"))
        if any(n < 20 for n in counts):
            raise click.BadParameter("sample sizes must be at least 20 prompts", param_hint="--sizes")
    return Grid(coverages=tuple(sorted(set(covs))), sizes=None if counts is None else tuple(sorted(set(counts))),
                seeds=seeds or (QUICK["seeds"] if quick else DEFAULT_SEEDS),
                variants=parse_variants(estimators))


def parse_variants(text: str) -> tuple[str, ...]:
    if text.strip() == "all":
        return tuple(VARIANTS)
    names = tuple(v.strip() for v in text.split(",") if v.strip())
    unknown = [n for n in names if n not in VARIANTS]
    if unknown or not names:
        raise click.BadParameter(f"{', '.join(unknown) or text!r}: choose from all, {', '.join(VARIANTS)}",
                                 param_hint="--estimator")
    return names


def parse_policies(text: str) -> tuple[str, ...]:
    return tuple(p.strip() for p in text.split(",") if p.strip())
