#!/usr/bin/env python3
"""Throughput of the responses step (the pipeline issue's acceptance benchmark).

Starts the offline simulator in a child process with 200 ms latency on every
request, then runs the responses step (all five policies) at ``--concurrency
16`` in this process and reports requests per second over the whole step,
including writing, fsync'ing and compacting the logs. Target: at least 60
requests/s (16 in flight / 0.2 s = 80 requests/s is the ceiling).

Usage: .venv/bin/python benchmarks/pipeline_throughput.py [--n-samples 200] [--concurrency 16]
Writes benchmarks/results/pipeline_throughput.json and prints the figure.
"""

from __future__ import annotations

import platform
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import click

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from cje.cli.config import PolicyConfig  # noqa: E402
from cje.cli.errors import command  # noqa: E402
from cje.cli.options import policy_config_option  # noqa: E402
from cje.io.atomic import write_json_atomic  # noqa: E402
from cje.pipeline.generation import generate_responses  # noqa: E402
from cje.pipeline.prompts import SHIPPED_PROMPTS, PromptSpec, prepare_prompts  # noqa: E402
from cje.pipeline.records import DataPaths  # noqa: E402
from cje.pipeline.runner import Connections, SilentReporter, StepContext  # noqa: E402
from cje.pipeline.settings import ApiSettings, ResumeMode, Roles, RunSettings  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results"
TARGET_RPS = 60.0
LATENCY_MS = 200.0


def start_simulator(policy_config: PolicyConfig) -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "cje.simulator", "--port", "0", "--latency-ms", str(LATENCY_MS),
         "--population-prompts", "2000", "--quiet", "--policy-config", str(policy_config.path)],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    line = process.stdout.readline() if process.stdout else ""
    found = re.search(r"(http://\S+/v1)", line)
    if found is None:
        process.kill()
        raise SystemExit(f"the simulator did not start: {line!r}")
    return process, found.group(1)


def measure(base_url: str, n_prompts: int, concurrency: int, roles: Roles) -> dict[str, object]:
    env = {"CJE_BASE_URL": base_url, "CJE_API_KEY": "sk-benchmark"}
    api = ApiSettings(concurrency=concurrency, timeout=30.0)
    settings = RunSettings(mode=ResumeMode.RESUME)
    with tempfile.TemporaryDirectory() as workdir:
        paths = DataPaths(Path(workdir))
        prompts = prepare_prompts(PromptSpec(n_samples=n_prompts, seed=42, prompts_file=SHIPPED_PROMPTS), paths,
                                  mode=ResumeMode.RESUME).prompts
        with Connections(api, env=env) as connections:
            started = time.perf_counter()
            ctx = StepContext(roles, settings, api, connections, paths, SilentReporter())
            result = generate_responses(prompts, tuple(roles.policies), ctx)
            elapsed = time.perf_counter() - started
    requests = result.succeeded + result.failed
    return {
        "requests": requests, "failed": result.failed, "seconds": elapsed, "requests_per_s": requests / elapsed,
        "concurrency": concurrency, "latency_ms": LATENCY_MS, "ceiling_requests_per_s": concurrency / 0.2,
        "target_requests_per_s": TARGET_RPS,
    }


@command()
@click.option("--n-samples", "n_prompts", type=click.IntRange(1), default=200, show_default=True,
              help="Prompts to generate for (each policy of the config answers each one).")
@click.option("--concurrency", type=click.IntRange(1), default=16, show_default=True,
              help="Requests in flight at once.")
@policy_config_option
def main(n_prompts: int, concurrency: int, policy_config: PolicyConfig) -> None:
    """Measure the responses step's requests/s against a 200 ms simulator."""
    process, base_url = start_simulator(policy_config)
    try:
        figures = measure(base_url, n_prompts, concurrency, policy_config.roles)
    finally:
        process.terminate()
        process.wait(timeout=30)
    figures["machine"] = f"{platform.machine()}, Python {platform.python_version()}"
    figures["meets_target"] = figures["requests_per_s"] >= TARGET_RPS
    RESULTS.mkdir(parents=True, exist_ok=True)
    write_json_atomic(RESULTS / "pipeline_throughput.json", figures)
    click.echo(f"responses step: {figures['requests']} requests in {figures['seconds']:.2f} s = "
               f"{figures['requests_per_s']:.1f} requests/s at --concurrency {concurrency} with "
               f"{LATENCY_MS:.0f} ms latency (target >= {TARGET_RPS:.0f}, ceiling {concurrency / 0.2:.0f})")
    if not figures["meets_target"]:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
