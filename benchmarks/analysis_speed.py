#!/usr/bin/env python3
"""Speed targets of the analysis, measured as a user meets them.

1. Start-up: ``--help`` of every script (target under 0.3 s) and a whole
   ``analyze_dataset.py --estimator dr-cpo --no-plots`` process on 1,000
   prompts (target under 1.2 s), each beside the floor of ``python -c
   "import numpy"`` on the same machine at the same moment (the ratio is what
   stays put when the machine is busy).
2. A five-coverage sweep (``--oracle-coverage 0.05,0.1,0.25,0.5,1``) against
   five separate CLI calls, on demo-sized data, with and without figures.
3. ``--estimator all`` on 1,000 prompts x 3 policies at 10% coverage, in
   process after imports: target under 2 s (plus the figures' time).
4. ``calibrated-ips`` and ``dr-cpo`` on 1,000,000 prompts x 4 policies end to
   end in a child process: targets under 60 s and 4 GiB (``--skip-large``
   leaves it out).

The 1,000-prompt data are the real Arena sample when ../shared/data is
present, else a simulated dataset of the same shape. Wall times are the
minimum over ``--repeats`` runs (the least disturbed by other work on the
machine), with the median beside it.

Usage: .venv/bin/python benchmarks/analysis_speed.py [--repeats 7] [--skip-large]
Writes benchmarks/results/analysis_speed.json and prints what it measured.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import click

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# Only the error boundary here: the analysis is imported where it is timed.
from cje.cli.errors import command  # noqa: E402

ARENA = ROOT.parent / "shared" / "data" / "arena_sample"
RESULTS = ROOT / "benchmarks" / "results"
SWEEP = "0.05,0.1,0.25,0.5,1"
SCRIPTS = ("analyze_dataset.py", "generate_arena_data.py", "regenerate_failed_responses.py",
           *sorted(f"pipeline_steps/{p.name}" for p in (ROOT / "pipeline_steps").glob("*.py")
                   if p.name != "__init__.py"),
           "benchmarks/analysis_speed.py")


def timed(command: list[str], repeats: int) -> dict[str, float]:
    """Minimum and median wall time of ``command`` run ``repeats`` times, and
    its least CPU time (user + system: what a busy machine disturbs least)."""
    import resource

    times, cpu = [], []
    for _ in range(repeats):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        subprocess.run(command, cwd=ROOT, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        times.append(time.perf_counter() - start)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
    return {"min_s": min(times), "median_s": statistics.median(times), "cpu_min_s": min(cpu)}


@dataclass(frozen=True)
class Data:
    path: Path
    fresh_draws: Path | None
    label: str

    def arguments(self) -> list[str]:
        fresh = ["--fresh-draws-dir", str(self.fresh_draws)] if self.fresh_draws else []
        return ["--data", str(self.path), *fresh]


def thousand_prompts(workdir: Path) -> Data:
    """A 1,000-prompt dataset: the Arena sample, else a simulated one of its shape."""
    if (ARENA / "logged_data.jsonl").exists():
        return Data(ARENA / "logged_data.jsonl", ARENA / "fresh_draws", "real Arena sample (1,000 x 3)")
    from cje.world import WorldConfig, simulate_dataset, write_simulated_dataset
    from cje.world.config import default_behaviours

    directory = workdir / "small"
    if not (directory / "cje_dataset.jsonl").exists():
        three = WorldConfig(behaviours=tuple(b for b in default_behaviours() if b.name != "premium"))
        write_simulated_dataset(simulate_dataset(1000, seed=1, config=three), directory)
    return Data(directory / "cje_dataset.jsonl", None, "simulated (1,000 x 3)")


def time_start(workdir: Path, repeats: int) -> dict[str, object]:
    python = sys.executable
    floor = timed([python, "-c", "import numpy"], repeats)
    helps = {script: timed([python, script, "--help"], repeats) for script in SCRIPTS}
    data = thousand_prompts(workdir)
    analysis = timed([python, "analyze_dataset.py", *data.arguments(), "--estimator", "dr-cpo", "--no-plots"],
                     repeats)
    return {
        "numpy_import_floor": floor,
        "help": helps,
        "help_target_s": 0.3,
        "dr_cpo_1000": {**analysis, "dataset": data.label, "target_s": 1.2,
                        "ratio_to_floor": analysis["min_s"] / floor["min_s"]},
        "slowest_help": max(helps.items(), key=lambda item: item[1]["min_s"])[0],
    }


def demo_sized(workdir: Path) -> Path:
    """The demo's data when ``python -m cje.demo`` has run, else a simulated
    dataset of the same shape (300 prompts x 4 target policies)."""
    demo = ROOT / "data" / "demo" / "cje_dataset.jsonl"
    if demo.exists():
        return demo
    from cje.world import simulate_dataset, write_simulated_dataset

    directory = workdir / "demo_sized"
    if not (directory / "cje_dataset.jsonl").exists():
        write_simulated_dataset(simulate_dataset(300, seed=42, fresh_oracle_fraction=0.1), directory)
    return directory / "cje_dataset.jsonl"


def time_sweep(workdir: Path, repeats: int) -> dict[str, object]:
    data = demo_sized(workdir)
    base = [sys.executable, "analyze_dataset.py", "--data", str(data), "--estimator", "all", "--quiet"]
    report: dict[str, object] = {"dataset": str(data.relative_to(ROOT) if data.is_relative_to(ROOT) else data)}
    for figures, extra in (("no_plots", ["--no-plots"]), ("with_plots", ["--plot-dir", str(workdir / "plots")])):
        one = timed([*base, *extra, "--oracle-coverage", SWEEP], repeats)
        five = [0.0, 0.0]
        for coverage in SWEEP.split(","):
            single = timed([*base, *extra, "--oracle-coverage", coverage], repeats)
            five = [five[0] + single["min_s"], five[1] + single["median_s"]]
        report[figures] = {"sweep": one, "five_calls": {"min_s": five[0], "median_s": five[1]},
                           "speed_up": five[0] / one["min_s"]}
    return report


def time_small(workdir: Path, repeats: int) -> dict[str, object]:
    """Load + analyse in process (after imports), and separately the figures
    a default run also draws."""
    from cje.results import analyze

    data = thousand_prompts(workdir)
    timings, plot_timings = [], []
    for _run in range(repeats):
        start = time.perf_counter()
        result = analyze(data.path, fresh_draws=data.fresh_draws, estimators="all", oracle_coverage=0.1)
        timings.append(time.perf_counter() - start)
        start = time.perf_counter()
        result.save_plots(workdir / "plots")
        plot_timings.append(time.perf_counter() - start)
    return {"dataset": data.label, "median_s": statistics.median(timings), "max_s": max(timings),
            "plots_median_s": statistics.median(plot_timings), "runs": repeats, "target_s": 2.0}


def time_large(workdir: Path, n_prompts: int) -> dict[str, object]:
    import resource

    from cje.analysis import AnalysisSettings, analyze
    from cje.data.load import load_dataset
    from cje.world import simulate_dataset, write_simulated_dataset

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


def start_lines(start: dict) -> list[str]:
    numpy = start["numpy_import_floor"]
    floor = numpy["min_s"]
    lines = [f"import floor (python -c 'import numpy'): {floor:.3f} s (CPU {numpy['cpu_min_s']:.3f})"]
    for script, t in start["help"].items():
        lines.append(f"  {script} --help: {t['min_s']:.3f} s (median {t['median_s']:.3f}); "
                     f"{t['min_s'] / floor:.2f}x the floor; target < 0.3 s")
    run = start["dr_cpo_1000"]
    lines.append(f"dr-cpo on the {run['dataset']}, whole process (--no-plots): {run['min_s']:.3f} s "
                 f"(median {run['median_s']:.3f}, CPU {run['cpu_min_s']:.3f}); {run['ratio_to_floor']:.2f}x the "
                 "floor; target < 1.2 s")
    return lines


def sweep_lines(sweep: dict) -> list[str]:
    lines = [f"five-coverage sweep ({SWEEP}), --estimator all, {sweep['dataset']}:"]
    for figures in ("no_plots", "with_plots"):
        s = sweep[figures]
        lines.append(f"  {figures.replace('_', ' ')}: one sweep {s['sweep']['min_s']:.2f} s, five calls "
                     f"{s['five_calls']['min_s']:.2f} s ({s['speed_up']:.1f}x faster)")
    return lines


@command()
@click.option("--large-prompts", type=int, default=1_000_000, show_default=True,
              help="Prompts of the large benchmark (four policies each).")
@click.option("--skip-large", is_flag=True, help="Leave out the 1,000,000-prompt run.")
@click.option("--repeats", type=click.IntRange(1), default=7, show_default=True,
              help="Runs per measurement (the minimum is reported, with the median).")
@click.option("--workdir", type=click.Path(file_okay=False, path_type=Path),
              default=RESULTS / "data", show_default="benchmarks/results/data",
              help="Where generated datasets are kept.")
def main(large_prompts: int, skip_large: bool, repeats: int, workdir: Path) -> None:
    import platform

    from cje.io.atomic import write_json_atomic

    workdir.mkdir(parents=True, exist_ok=True)
    report: dict[str, object] = {"machine": f"{platform.machine()}, Python {platform.python_version()}"}
    report["start"] = start = time_start(workdir, repeats)
    click.echo("\n".join(start_lines(start)))
    report["sweep"] = sweep = time_sweep(workdir, max(1, repeats // 2))
    click.echo("\n".join(sweep_lines(sweep)))
    report["small"] = small = time_small(workdir, min(repeats, 5))
    click.echo(f"--estimator all, {small['dataset']}, 10% oracle, in process: load + analysis median "
               f"{small['median_s']:.2f} s (max {small['max_s']:.2f} s), plus {small['plots_median_s']:.2f} s "
               "for the figures; target < 2 s")
    if not skip_large:
        report["large"] = large = time_large(workdir, large_prompts)
        click.echo(f"calibrated-ips + dr-cpo, {large['prompts']:,} prompts x {large['policies']} policies: "
                   f"{large['wall_s_end_to_end']:.1f} s end to end ({large['analysis_only_s']:.1f} s of "
                   f"analysis after loading), peak RSS {large['peak_rss_gib']:.2f} GiB; targets < 60 s, < 4 GiB")
    write_json_atomic(RESULTS / "analysis_speed.json", report)


if __name__ == "__main__":
    main()
