"""A broken endpoint stops the pipeline in seconds with the URL, the status and what
to do - never the key: refused connections, 401, 403, 404, exhausted quota and a
malformed URL, against real local HTTP servers (the simulator; a closed port)."""

from __future__ import annotations

import socket
import time

import pytest
from click.testing import CliRunner

import generate_arena_data

from .helpers import CHAT, schedule, small_prompts_file, stats

SECRET = "sk-live-DO-NOT-PRINT-4242"
ENVIRONMENT_EXIT = 3


def run(tmp_path, base_url: str, *extra: str):
    env = {"CJE_BASE_URL": base_url, "CJE_API_KEY": SECRET}
    args = ["--n-samples", "20", "--prompts-file", str(small_prompts_file(tmp_path, 25)), "--data-dir",
            str(tmp_path / "data"), "--retry-base-delay", "0.5", "--quiet", *extra]
    started = time.monotonic()
    result = CliRunner().invoke(generate_arena_data.main, args, env=env)
    return result, time.monotonic() - started


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def assert_clear_stop(result, elapsed: float, url: str, *words: str) -> None:
    output = result.output
    assert result.exit_code == ENVIRONMENT_EXIT, output
    assert elapsed < 10, f"took {elapsed:.1f} s"
    assert url in output and "What to do" in output and SECRET not in output, output
    for word in words:
        assert word in output, output
    assert "Traceback" not in output


def test_a_refused_connection_stops_at_once(tmp_path):
    url = f"http://127.0.0.1:{closed_port()}/v1"
    result, elapsed = run(tmp_path, url)
    assert_clear_stop(result, elapsed, url, "connection refused", "python -m cje.simulator")


@pytest.mark.parametrize(("kind", "words"), [
    ("401", ("HTTP 401", "CJE_API_KEY", "rejected")),
    ("403", ("HTTP 403", "CJE_API_KEY", "may use model")),
    ("404", ("HTTP 404", "/v1", "model")),
    ("quota", ("HTTP 429 insufficient_quota", "credit")),
])
def test_a_refusing_endpoint_stops_at_the_pre_flight_check(clean_sim, tmp_path, kind, words):
    schedule(clean_sim, [{"kind": kind, "count": 1000}])
    result, elapsed = run(tmp_path, clean_sim.base_url)
    assert_clear_stop(result, elapsed, clean_sim.base_url, *words)
    assert stats(clean_sim)["by_path"].get(CHAT, 0) <= 1  # the pre-flight check, at most its one-token chat


def test_a_wrong_model_found_during_the_run_trips_the_breaker(clean_sim, tmp_path):
    # GET /models works; every chat answers 404 (as for a misspelled model)
    schedule(clean_sim, [{"kind": "404", "path": CHAT, "count": 1000}])
    result, elapsed = run(tmp_path, clean_sim.base_url, "--concurrency", "4")
    assert_clear_stop(result, elapsed, clean_sim.base_url, "HTTP 404", "requests in a row")
    assert stats(clean_sim)["by_path"][CHAT] <= 5 + 4  # the breaker's threshold plus those in flight


def test_a_malformed_base_url_is_refused_before_anything_is_sent(tmp_path):
    result, elapsed = run(tmp_path, "not a url")
    assert result.exit_code == 2 and elapsed < 10
    assert "CJE_BASE_URL='not a url'" in result.output and "http://127.0.0.1:8000/v1" in result.output
    assert SECRET not in result.output
