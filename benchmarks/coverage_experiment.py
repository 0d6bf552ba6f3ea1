#!/usr/bin/env python3
"""How many oracle labels do you need, and which estimator ranks policies right
with honest intervals? Runs the analysis over a grid of oracle coverages x
sample sizes (prompt subsamples) x estimators x seeds and scores every run
against a known truth.

\b
Built-in sources (default: both; arena is skipped when ../shared/data is absent):
  simulator  the statistical simulator; truth = its exact population values
  arena      the real 1,000-prompt Arena sample; truth = mean oracle label of
             each policy's 50-row probe slice (noisy: said beside every number)
Your own data: --data FILE [--fresh-draws-dir DIR] and --truth FILE (JSON
{policy: value}, or {"values": {...}, "n_oracle": {...}} when the truth is a
mean of n_oracle labels) or --probe-dir DIR of {policy}_probe.jsonl files.

\b
Outputs in --output-dir/<source>/: runs.jsonl (append-only log, one row per finished
cell: re-running skips those), runs.csv (every run x policy), regimes.csv and
summary.md (every metric per estimator x sample size x coverage),
readme_tables.md, plots/ci_coverage.png, plots/rmse.png, plots/ranking.png.
Changing the data, CI level, bootstrap size or the cje library starts a fresh
set of cells (old rows stay in the log, ignored).

\b
Examples:
  .venv/bin/python benchmarks/coverage_experiment.py --jobs 2
  .venv/bin/python benchmarks/coverage_experiment.py --quick
  .venv/bin/python benchmarks/coverage_experiment.py --data my/cje_dataset.jsonl \\
      --truth my/truth.json --sizes 500,1000 --estimator direct,stacked-dr
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import click

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tqdm import tqdm  # noqa: E402

from benchmarks.lib.cli_options import experiment_options, parse_grid, parse_policies  # noqa: E402
from benchmarks.lib.execute import run_units  # noqa: E402
from benchmarks.lib.grid import pending_units  # noqa: E402
from benchmarks.lib.plan import (  # noqa: E402
    DEFAULT_SIZES,
    QUICK,
    Grid,
    Plan,
    arena_available,
    builtin_source,
    make_plan,
)
from benchmarks.lib.report import write_outputs  # noqa: E402
from benchmarks.lib.sources import Source  # noqa: E402
from benchmarks.lib.summary import runs_table  # noqa: E402
from cje.cli.errors import command, user_errors_exit_2  # noqa: E402
from cje.io.store import JsonlStore  # noqa: E402


@command(help=__doc__)
@experiment_options
@user_errors_exit_2
def main(sources, data, fresh_draws_dir, truth_file, probe_dir, coverages, sizes, seeds, estimators, separate,
         ci_level, n_bootstrap, jobs, quick, out, quiet) -> None:
    grid = parse_grid(coverages, sizes, seeds, estimators, quick)
    for source, builtin_truth, source_sizes in _sources(sources, data, fresh_draws_dir, grid, quick):
        plan = make_plan(source, grid, source_sizes, builtin_truth=builtin_truth, truth_file=truth_file,
                         probe_dir=probe_dir, separate=parse_policies(separate), ci_level=ci_level,
                         n_bootstrap=n_bootstrap)
        for note in plan.notes:
            click.echo(f"note: {note}", err=True)
        run_plan(plan, out / source.name, jobs=jobs, quiet=quiet)


def _sources(names, data, fresh_draws_dir, grid: Grid, quick: bool):
    """(source, its built-in truth or None, sample sizes or None for the default)."""
    if data is not None:
        yield Source("custom", data=data, fresh_draws_dir=fresh_draws_dir), None, grid.sizes
        return
    for name in dict.fromkeys(names):
        if name == "arena" and not arena_available():
            click.echo("arena: ../shared/data/arena_sample is absent; skipped", err=True)
            continue
        sizes = grid.sizes or (QUICK["sizes"][name] if quick else DEFAULT_SIZES[name])
        source, truth = builtin_source(name, sizes)
        yield source, truth, sizes


def run_plan(plan: Plan, out: Path, *, jobs: int, quiet: bool) -> None:
    """Run the plan's unfinished cells, appending each to the log, then
    summarise every finished cell of the plan."""
    key = plan.settings.fingerprint
    with JsonlStore(out / "runs.jsonl", key="cell") as store:
        units = pending_units(plan.cells, set(store.ids), key)
        todo = sum(len(u.variants) for u in units)
        if not quiet:
            click.echo(f"{plan.source.name}: {len(plan.cells):,} cells, {len(plan.cells) - todo:,} already "
                       f"done, {todo:,} to run on {jobs} process(es)", err=True)
        start = time.perf_counter()
        with tqdm(total=todo, desc=plan.source.name, unit="cell", disable=quiet or todo == 0) as bar:
            for rows in run_units(plan.source, units, plan.settings, jobs=jobs):
                store.append(rows)
                bar.update(len(rows))
        elapsed = time.perf_counter() - start
        rows = [store.rows[cell.key(key)] for cell in plan.cells]
    runs = runs_table(rows, plan.truth, alpha=1 - plan.settings.ci_level)
    written, table = write_outputs(runs, plan.context, out)
    if not quiet:
        click.echo(f"\n{plan.source.name}: ran {todo:,} cells in {elapsed:.0f} s. {plan.context.caveat}")
        click.echo(table)
    for path in written.values():
        click.echo(str(path))


if __name__ == "__main__":
    main()
