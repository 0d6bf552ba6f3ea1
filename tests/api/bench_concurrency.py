"""Benchmark (not a test): chat requests per second through run_tasks against
the fault server with a fixed latency, the server in its own process.

    .venv/bin/python tests/api/bench_concurrency.py --latency 0.2 --concurrency 16 --requests 960
"""

from __future__ import annotations

import argparse
import random
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE.parent.parent))  # run as a script from anywhere

from cje.api.client import ChatResult, chat, make_client  # noqa: E402
from cje.api.concurrency import run_tasks  # noqa: E402
from cje.api.endpoints import Endpoint, Secret  # noqa: E402
from cje.api.retry import RetryPolicy  # noqa: E402
from tests.api.api_helpers import TEST_KEY  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--latency", type=float, default=0.2)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--requests", type=int, default=960)
    args = parser.parse_args()
    server = subprocess.Popen([sys.executable, str(HERE / "fault_server.py"), "--latency", str(args.latency)],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert server.stdout is not None
        base_url = server.stdout.readline().strip()
        rate = measure(base_url, args.concurrency, args.requests)
    finally:
        server.terminate()
        server.wait()
    ideal = args.concurrency / args.latency
    print(f"{args.requests} requests, latency {args.latency} s, concurrency {args.concurrency}: "
          f"{rate:.1f} requests/s (ideal {ideal:.0f})")


def measure(base_url: str, concurrency: int, requests: int) -> float:
    endpoint = Endpoint("bench", "m", base_url, "TEST_KEY", Secret(TEST_KEY), 0.0, None, "llama3")
    client = make_client(endpoint, timeout=30.0, max_connections=concurrency)
    retry = RetryPolicy(max_attempts=3, rng=random.Random(0))

    def task(i: int) -> Callable[[], ChatResult]:
        return lambda: chat(client, model="m", messages=[{"role": "user", "content": f"prompt {i}"}],
                            temperature=0.7, max_tokens=256, retry=retry)

    started = time.perf_counter()
    done = sum(1 for _ in run_tasks(((i, task(i)) for i in range(requests)), concurrency=concurrency))
    elapsed = time.perf_counter() - started
    assert done == requests
    return done / elapsed


if __name__ == "__main__":
    main()
