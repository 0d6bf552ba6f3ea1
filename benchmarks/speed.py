#!/usr/bin/env python3
"""Wall time and peak memory of each estimator as the number of prompts grows.

\b
For each size (default 1e3, 1e4, 1e5, 1e6 prompts; 4 target policies; fresh
draws for each; 10% oracle coverage) the simulator's dataset is built once and
cached as .npz; then every estimator is measured in its own fresh process:
  * time: the fastest of up to --repeats runs of the analysis (after loading;
    large sizes get one run once --budget-s is spent);
  * memory: the peak allocated during one more run, traced by tracemalloc
    (numpy reports its buffers to it), i.e. what the estimator adds on top of
    the loaded data; plus the process's peak RSS from getrusage.
The growth exponent is the log-log slope of time (and of memory) against n.
direct+bootstrap is direct with --inference bootstrap (B=--n-bootstrap).

\b
Outputs in --output-dir: speed.jsonl (one row per measurement; re-running skips
finished ones unless --force), speed.csv, speed.md, speed.png.

\b
Example:  .venv/bin/python benchmarks/speed.py
          .venv/bin/python benchmarks/speed.py --sizes 1000,10000 --estimator direct,tmle
"""

from __future__ import annotations

import platform
import sys
from pathlib import Path

import click
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.lib.cli_options import parse_variants  # noqa: E402
from benchmarks.lib.grid import fingerprint, library_digest  # noqa: E402
from benchmarks.lib.speed_data import ensure_dataset  # noqa: E402
from benchmarks.lib.speed_report import exponents, memory_table, plot_speed, time_table  # noqa: E402
from benchmarks.lib.speed_run import MeasureSettings, machine_description, measure  # noqa: E402
from cje.cli.errors import command, user_errors_exit_2  # noqa: E402
from cje.io.atomic import write_text_atomic  # noqa: E402
from cje.io.store import JsonlStore  # noqa: E402


@command(help=__doc__)
@click.option("--sizes", default="1000,10000,100000,1000000", show_default=True,
              help="Comma-separated prompt counts.")
@click.option("--estimator", "estimators", default="all", show_default=True,
              help="'all' or a comma-separated list.")
@click.option("--oracle-coverage", "coverage", type=click.FloatRange(0.01, 1), default=0.1, show_default=True,
              help="Share of the oracle labels the timed analyses keep.")
@click.option("--repeats", type=click.IntRange(1), default=3, show_default=True,
              help="Times each measurement is repeated (the fastest counts).")
@click.option("--budget-s", type=float, default=20.0, show_default=True,
              help="Stop repeating a measurement once its runs took this long.")
@click.option("--n-bootstrap", type=click.IntRange(50), default=200, show_default=True,
              help="Replicates for direct+bootstrap.")
@click.option("--timeout", "timeout_s", type=float, default=1800.0, show_default=True,
              help="Give up on one measurement after this long (recorded as a timeout).")
@click.option("--force", is_flag=True, help="Measure again even what the log already holds.")
@click.option("--output-dir", "out", type=click.Path(file_okay=False, path_type=Path),
              default=ROOT / "benchmarks" / "results" / "speed", show_default="benchmarks/results/speed",
              help="Where the measurements, tables and plots go.")
@user_errors_exit_2
def main(sizes, estimators, coverage, repeats, budget_s, n_bootstrap, timeout_s, force, out) -> None:
    counts = sorted({int(float(v)) for v in sizes.split(",") if v.strip()})
    variants = parse_variants(estimators)
    settings = MeasureSettings(coverage, repeats, budget_s, n_bootstrap, timeout_s)
    key = fingerprint(platform.node(), repr(settings), library_digest())
    with JsonlStore(out / "speed.jsonl", key="id") as store:
        for n in counts:
            data = ensure_dataset(out / "data", n)
            for variant in variants:
                row_id = f"{key}|n={n}|{variant}"
                if row_id in store and not force:
                    continue
                click.echo(f"n={n:>9,} {variant:<18}", nl=False)
                row = {"id": row_id, **measure(data, n, variant, settings)}
                store.append([row])
                click.echo(f" {_describe(row)}")
        rows = [store.rows[f"{key}|n={n}|{v}"] for n in counts for v in variants]
    write_report(pd.DataFrame(rows), variants, out)


def _describe(row: dict) -> str:
    if row["status"] != "ok":
        return row["status"]
    return (f"{row['seconds']:8.3f} s   traced peak {row['traced_peak_mib']:8.1f} MiB   "
            f"RSS {row['peak_rss_mib']:7.0f} MiB")


def write_report(results: pd.DataFrame, variants: tuple[str, ...], out: Path) -> None:
    ok = results[results["status"] == "ok"]
    fits = exponents(ok)
    machine = machine_description()
    text = (f"Machine: {machine}.\n\n**Wall time** (best of up to 3 runs, after loading)\n\n"
            + time_table(ok, fits, variants)
            + "\n**Peak memory allocated during the analysis** (tracemalloc; the loaded data not included)\n\n"
            + memory_table(ok, fits, variants))
    failed = results[results["status"] != "ok"]
    if not failed.empty:
        text += "\nNot measured: " + "; ".join(f"{r.variant} at n={r.n_prompts:,}: {r.status}"
                                                for r in failed.itertuples()) + "\n"
    write_text_atomic(out / "speed.md", text)
    write_text_atomic(out / "speed.csv", results.drop(columns=["all_seconds"], errors="ignore").to_csv(index=False))
    plot_speed(ok, variants, out / "speed.png",
               title=f"Speed of each estimator as prompts grow (4 target policies). {machine}. "
                     "Dashed grey: linear growth.")
    click.echo(text)
    click.echo(f"wrote {out / 'speed.md'}, {out / 'speed.csv'}, {out / 'speed.png'}")


if __name__ == "__main__":
    main()
