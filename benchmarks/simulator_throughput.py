#!/usr/bin/env python3
"""Throughput of the offline simulator: 16 keep-alive clients against
``python -m cje.simulator --latency-ms 200`` (ceiling: 16 / 0.2 s = 80 requests/s).

Usage: .venv/bin/python benchmarks/simulator_throughput.py [--concurrency 16] [--per-client 30]
Writes benchmarks/results/simulator_throughput.json.
"""

from __future__ import annotations

import http.client
import json
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import click

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from cje.api.endpoints import Role  # noqa: E402
from cje.cli.config import PolicyConfig  # noqa: E402
from cje.cli.errors import command  # noqa: E402
from cje.cli.options import policy_config_option  # noqa: E402
from cje.io.atomic import write_json_atomic  # noqa: E402


def start_simulator(latency_ms: int, policy_config: PolicyConfig) -> tuple[subprocess.Popen, int]:
    process = subprocess.Popen(
        [sys.executable, "-m", "cje.simulator", "--port", "0", "--latency-ms", str(latency_ms), "--quiet",
         "--population-prompts", "2000", "--policy-config", str(policy_config.path)],
        cwd=ROOT, stdout=subprocess.PIPE, text=True,
    )
    found = re.search(r":(\d+)/v1", process.stdout.readline())
    if found is None:
        process.kill()
        raise SystemExit("the simulator did not start")
    return process, int(found.group(1))


def client(port: int, base: Role, index: int, requests: int, failures: list[str]) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    for i in range(requests):
        body = json.dumps({"model": base.model, "temperature": 0.7, "max_tokens": 256, "messages": [
            {"role": "system", "content": base.system_prompt},
            {"role": "user", "content": f"Benchmark question {index}-{i}: how do tides work?"}]})
        connection.request("POST", "/v1/chat/completions", body, {"Content-Type": "application/json"})
        response = connection.getresponse()
        response.read()
        if response.status != 200:
            failures.append(str(response.status))
    connection.close()


@command()
@click.option("--concurrency", "clients", type=click.IntRange(1), default=16, show_default=True,
              help="Keep-alive clients sending requests at once.")
@click.option("--per-client", type=click.IntRange(1), default=30, show_default=True,
              help="Chat requests each client sends, one after the other.")
@click.option("--latency-ms", type=click.IntRange(0), default=200, show_default=True,
              help="Latency the simulator adds to every request, in milliseconds.")
@policy_config_option
def main(clients: int, per_client: int, latency_ms: int, policy_config: PolicyConfig) -> None:
    """Requests per second the simulator serves to concurrent keep-alive clients."""
    process, port = start_simulator(latency_ms, policy_config)
    base = policy_config.roles.logging_role
    failures: list[str] = []
    try:
        threads = [threading.Thread(target=client, args=(port, base, k, per_client, failures))
                   for k in range(clients)]
        start = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        rate = clients * per_client / (time.perf_counter() - start)
    finally:
        process.terminate()
        process.wait(timeout=30)
    ceiling = clients / (latency_ms / 1000)
    click.echo(f"{rate:.1f} requests/s with {clients} clients at {latency_ms} ms latency "
               f"(ceiling {ceiling:.0f}); {len(failures)} failures")
    write_json_atomic(ROOT / "benchmarks" / "results" / "simulator_throughput.json",
                      {"requests_per_second": rate, "clients": clients, "latency_ms": latency_ms,
                       "ceiling": ceiling, "failures": len(failures)})


if __name__ == "__main__":
    main()
