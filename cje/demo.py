"""The whole experiment offline: simulator -> pipeline -> analysis -> truth.

``python -m cje.demo`` starts the OpenAI-compatible simulator on a free local
port (with light fault injection: a few 429s, 5xx replies and dropped
connections), runs ``generate_arena_data.py`` against it for all five policies,
fetches the true policy values for the prompts served, stops the simulator,
and runs ``analyze_dataset.py --estimator all`` with those values shown beside
every estimate. The scripts run exactly as a user would run them; no API key
or network is needed, and no process is left behind.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

from cje.cli.errors import command
from cje.io.atomic import write_json_atomic

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_PROMPTS = PROJECT_ROOT / "cje" / "pipeline" / "default_prompts.jsonl"
LIGHT_FAULTS = ("--rate-429", "0.02", "--retry-after", "0.2", "--rate-5xx", "0.02",
                "--rate-drop", "0.005", "--latency-ms", "5", "--latency-jitter-ms", "10")
LISTENING = re.compile(r"listening on (http://127\.0\.0\.1:\d+/v1)")


@contextmanager
def running_simulator(seed: int, faults: bool) -> Iterator[str]:
    """Start ``python -m cje.simulator`` on a free port; yield its base URL;
    always stop it (SIGTERM, then SIGKILL if it does not exit)."""
    command = [sys.executable, "-m", "cje.simulator", "--port", "0", "--seed", str(seed), "--quiet",
               *(LIGHT_FAULTS if faults else ())]
    process = subprocess.Popen(command, cwd=PROJECT_ROOT, stdout=subprocess.PIPE, text=True)
    try:
        found = LISTENING.search(process.stdout.readline() if process.stdout else "")
        if found is None:
            raise click.ClickException("the simulator did not start")
        yield found.group(1)
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def run_script(arguments: list[str], env: dict[str, str] | None = None) -> None:
    """Run one project script with this interpreter; stop the demo if it fails."""
    completed = subprocess.run([sys.executable, *arguments], cwd=PROJECT_ROOT, env=env, check=False)
    if completed.returncode != 0:
        raise SystemExit(completed.returncode)


def fetch_truth(base_url: str) -> dict[str, Any]:
    with urllib.request.urlopen(f"{base_url}/simulator/truth", timeout=300) as reply:
        return json.loads(reply.read())


def truth_for_analysis(report: dict[str, Any]) -> dict[str, float]:
    """Each policy's true value averaged over the prompts the run served."""
    return {policy: float(value) for policy, value in report["served"].items()}


@command()
@click.option("--n-prompts", type=click.IntRange(20), default=300, show_default=True,
              help="Prompts to generate for (each gets five responses, scores and log-probs).")
@click.option("--prompts-file", type=click.Path(dir_okay=False, exists=True, path_type=Path),
              default=DEFAULT_PROMPTS, show_default=True,
              help="Local JSONL of prompts; the default ships with the project.")
@click.option("--oracle-coverage", type=click.FloatRange(0, 1), default=0.25, show_default=True,
              help="Share of oracle labels the analysis keeps (the rest are calibrated from the judge).")
@click.option("--data-dir", type=click.Path(file_okay=False, path_type=Path), default="data/demo",
              show_default=True)
@click.option("--seed", type=int, default=42, show_default=True)
@click.option("--concurrency", type=click.IntRange(1), default=16, show_default=True)
@click.option("--no-faults", is_flag=True, help="Run the simulator without injected faults.")
@click.option("--quiet", is_flag=True, help="Only the results tables.")
def main(n_prompts: int, prompts_file: Path, oracle_coverage: float, data_dir: Path, seed: int,
         concurrency: int, no_faults: bool, quiet: bool) -> None:
    """Generate a dataset against the offline simulator, analyse it with every
    estimator, and print the estimates beside the true values."""
    data_dir = data_dir if data_dir.is_absolute() else PROJECT_ROOT / data_dir
    quiet_flag = ["--quiet"] if quiet else []
    with running_simulator(seed, faults=not no_faults) as base_url:
        env = {**os.environ, "CJE_BASE_URL": base_url, "CJE_API_KEY": "offline-demo"}
        run_script([
            "generate_arena_data.py", "--n-samples", str(n_prompts), "--prompts-file", str(prompts_file),
            "--data-dir", str(data_dir), "--seed", str(seed), "--concurrency", str(concurrency),
            "--retry-base-delay", "0.2", "--probe-fraction", "0.1", *quiet_flag,
        ], env)
        report = fetch_truth(base_url)
    write_json_atomic(data_dir / "simulator_truth.json", report)
    write_json_atomic(data_dir / "truth.json", truth_for_analysis(report))
    run_script([
        "analyze_dataset.py", "--data", str(data_dir / "cje_dataset.jsonl"), "--estimator", "all",
        "--oracle-coverage", str(oracle_coverage), "--seed", str(seed),
        "--truth", str(data_dir / "truth.json"), "--output", str(data_dir / "results.json"),
        "--plot-dir", str(data_dir / "plots"), *quiet_flag,
    ])
    if not quiet:
        click.echo(f"\ntrue values: {data_dir / 'truth.json'} (the simulator's full report: "
                   f"{data_dir / 'simulator_truth.json'}); plots in {data_dir / 'plots'}")


if __name__ == "__main__":
    main()
