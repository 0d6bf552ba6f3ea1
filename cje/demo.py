"""The whole experiment offline: simulator -> pipeline -> analysis -> truth.

``python -m cje.demo`` starts the OpenAI-compatible simulator on a free local
port (with light fault injection: a few 429s, 5xx replies and dropped
connections), runs ``generate_arena_data.py`` against it for every policy,
asks the simulator for the true policy values over the prompts of the
dataset, stops the simulator, and runs ``analyze_dataset.py --estimator all``
with those values shown beside every estimate. The scripts run exactly as a
user would run them; no API key or network is needed, and no process is left
behind.

Re-running it is safe and quick: the pipeline resumes (everything is already
done, so nothing is asked again) and the truth comes from the dataset's own
prompts, so the run ends with the same table. Everything lands in
``--data-dir`` (default ``data/demo``); analyse it again with
``python analyze_dataset.py --data data/demo/cje_dataset.jsonl``.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

from cje.cli.config import DEFAULT_POLICY_CONFIG, PROJECT_ROOT, PolicyConfig
from cje.cli.errors import command
from cje.cli.options import finite_float, policy_config_option, seed_option
from cje.errors import EnvironmentFailure
from cje.io.atomic import write_json_atomic

DEFAULT_PROMPTS = PROJECT_ROOT / "cje" / "pipeline" / "default_prompts.jsonl"
LIGHT_FAULTS = ("--rate-429", "0.02", "--retry-after", "0.2", "--rate-5xx", "0.02",
                "--rate-drop", "0.005", "--latency-ms", "5", "--latency-jitter-ms", "10")
LISTENING = re.compile(r"listening on (http://127\.0\.0\.1:\d+/v1)")


@contextmanager
def running_simulator(seed: int, faults: bool, policy_config: Path) -> Iterator[str]:
    """Start ``python -m cje.simulator`` on a free port; yield its base URL;
    always stop it (SIGTERM, then SIGKILL if it does not exit)."""
    command_line = [sys.executable, "-m", "cje.simulator", "--port", "0", "--seed", str(seed), "--quiet",
                    "--policy-config", str(policy_config), *(LIGHT_FAULTS if faults else ())]
    process = subprocess.Popen(command_line, cwd=PROJECT_ROOT, stdout=subprocess.PIPE, text=True)
    try:
        found = LISTENING.search(process.stdout.readline() if process.stdout else "")
        if found is None:
            raise EnvironmentFailure("the offline simulator did not start (see its message above); "
                                     "run `python -m cje.simulator --port 0` to see why")
        yield found.group(1)
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def run_script(arguments: list[str], env: dict[str, str] | None = None, *, show_output: bool = True) -> None:
    """Run one project script with this interpreter; stop the demo with its status if it fails."""
    completed = subprocess.run([sys.executable, *arguments], cwd=PROJECT_ROOT, env=env, check=False,
                               stdout=None if show_output else subprocess.DEVNULL)
    if completed.returncode != 0:
        raise SystemExit(completed.returncode)


def simulator_json(url: str, body: object | None = None) -> dict[str, Any]:
    """GET (or POST ``body`` to) a simulator control endpoint."""
    data = None if body is None else json.dumps(body).encode("utf-8")
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=300) as reply:
            return json.loads(reply.read())
    except (urllib.error.URLError, OSError, ValueError) as error:
        raise EnvironmentFailure(f"the simulator's truth endpoint {url} failed: {error}") from None


def dataset_prompts(dataset: Path) -> list[str]:
    """The prompt texts of a dataset the pipeline wrote."""
    return [json.loads(line)["prompt"] for line in dataset.read_text(encoding="utf-8").splitlines() if line.strip()]


@command(help=__doc__)
@click.option("--n-samples", "n_prompts", type=click.IntRange(20), default=300, show_default=True,
              help="How many prompts to generate for (each gets every policy's response, scores and log-probs).")
@click.option("--prompts-file", type=click.Path(dir_okay=False, exists=True, path_type=Path),
              default=DEFAULT_PROMPTS, show_default="cje/pipeline/default_prompts.jsonl",
              help="Local JSONL of prompts; the default ships with the project.")
@click.option("--oracle-coverage", type=finite_float(0, 1), default=0.25, show_default=True,
              help="Share of oracle labels the analysis keeps (the rest are calibrated from the judge).")
@click.option("--data-dir", type=click.Path(file_okay=False, path_type=Path), default="data/demo",
              show_default=True, help="Where the dataset, the truth, the results and the plots go "
                                      "(relative to the project, not the working directory).")
@seed_option
@click.option("--concurrency", type=click.IntRange(1), default=16, show_default=True,
              help="Requests in flight at once.")
@click.option("--no-faults", is_flag=True, help="Run the simulator without injected faults.")
@click.option("--quiet", is_flag=True, help="Print only the results tables.")
@policy_config_option
def main(*, n_prompts: int, prompts_file: Path, oracle_coverage: float, data_dir: Path, seed: int,
         concurrency: int, no_faults: bool, quiet: bool, policy_config: PolicyConfig) -> None:
    data_dir = data_dir if data_dir.is_absolute() else PROJECT_ROOT / data_dir
    quiet_flag = ["--quiet"] if quiet else []
    config_flag = [] if policy_config.path == DEFAULT_POLICY_CONFIG else ["--policy-config", str(policy_config.path)]
    with running_simulator(seed, not no_faults, policy_config.path) as base_url:
        env = {**os.environ, "CJE_BASE_URL": base_url, "CJE_API_KEY": "offline-demo"}
        run_script([
            "generate_arena_data.py", "--n-samples", str(n_prompts), "--prompts-file", str(prompts_file),
            "--data-dir", str(data_dir), "--seed", str(seed), "--concurrency", str(concurrency),
            "--retry-base-delay", "0.2", "--probe-fraction", "0.1", *config_flag, *quiet_flag,
        ], env, show_output=not quiet)
        truth = simulator_json(f"{base_url}/simulator/truth",
                               {"prompts": dataset_prompts(data_dir / "cje_dataset.jsonl")})
        report = simulator_json(f"{base_url}/simulator/truth")
    write_json_atomic(data_dir / "simulator_truth.json", {**report, "dataset": truth})
    write_json_atomic(data_dir / "truth.json", truth["values"])
    run_script([
        "analyze_dataset.py", "--data", str(data_dir / "cje_dataset.jsonl"), "--estimator", "all",
        "--oracle-coverage", str(oracle_coverage), "--seed", str(seed),
        "--truth", str(data_dir / "truth.json"), "--output", str(data_dir / "results.json"),
        "--plot-dir", str(data_dir / "plots"), *quiet_flag,
    ])
    if not quiet:
        click.echo(f"\ntrue values over the dataset's prompts: {data_dir / 'truth.json'} (the simulator's full "
                   f"report: {data_dir / 'simulator_truth.json'}); plots in {data_dir / 'plots'}.\n"
                   f"Analyse these data again with: python analyze_dataset.py --data "
                   f"{_shown(data_dir / 'cje_dataset.jsonl')} --estimator all --oracle-coverage 0.1")


def _shown(path: Path) -> str:
    try:
        return str(path.relative_to(PROJECT_ROOT))
    except ValueError:
        return str(path)


if __name__ == "__main__":
    main()
