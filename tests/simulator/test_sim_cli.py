"""The command line: ``python -m cje.simulator`` in a subprocess."""

from __future__ import annotations

import http.client
import json
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from cje.simulator.cli import main

from .helpers import BASE

REPO = Path(__file__).resolve().parents[2]


def start_cli(*args: str) -> tuple[subprocess.Popen[str], str, int]:
    process = subprocess.Popen(
        [sys.executable, "-m", "cje.simulator", "--port", "0", "--population-prompts", "2000", *args],
        cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    line = process.stdout.readline()
    found = re.fullmatch(r"cje simulator listening on http://(127\.0\.0\.1):(\d+)/v1\n", line)
    if found is None:
        process.kill()
        raise AssertionError(f"unexpected first line {line!r}; stderr: {process.stderr.read()}")
    return process, found.group(1), int(found.group(2))


def get_json(host: str, port: int, path: str) -> object:
    connection = http.client.HTTPConnection(host, port, timeout=10)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        assert response.status == 200
        return json.loads(response.read())
    finally:
        connection.close()


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_cli_serves_on_a_free_port_and_stops_cleanly(tmp_path, signum):
    truth = tmp_path / "truth.json"
    process, host, port = start_cli("--truth", str(truth), "--quiet")
    try:
        assert port > 0
        models = get_json(host, port, "/v1/models")
        assert BASE.model in {m["id"] for m in models["data"]}
        process.send_signal(signum)
        assert process.wait(timeout=15) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert json.loads(truth.read_text())["population_prompts"] == 2000
    with pytest.raises(ConnectionRefusedError):
        get_json(host, port, "/v1/models")


@pytest.mark.parametrize(
    ("args", "message"),
    [(["--rate-429", "0.8", "--rate-5xx", "0.8"], "add up to more than 1"),
     (["--rate-drop", "1.5"], "--rate-drop"),
     (["--port", "-1"], "--port")],
)
def test_cli_refuses_bad_options(args, message):
    result = CliRunner().invoke(main, args)
    assert result.exit_code != 0 and message in result.output


def default_options(**changes: object) -> dict[str, object]:
    options = {param.name: param.default for param in main.params if param.name != "policy_config"}
    options.update(changes)
    return options


def test_build_config_follows_policy_config_and_the_environment(monkeypatch):
    import policy_config as pc
    from cje.cli.config import load_policy_config
    from cje.simulator.cli import build_config

    monkeypatch.setenv("CJE_JUDGE_MODEL", "local-judge")
    monkeypatch.setenv("CJE_ORACLE_MODEL", "")  # empty counts as unset
    config = build_config(default_options(rate_429=0.1, latency_ms=5.0), load_policy_config().roles)
    assert (config.judge_model, config.oracle_model) == ("local-judge", pc.ORACLE.model)
    assert config.faults.rate_429 == 0.1 and config.faults.latency_ms == 5.0
    assert config.policies[(BASE.model, BASE.system_prompt)] == "base"
    assert set(config.policies.values()) == set(pc.POLICIES) - {"clone"}
    for name, role in pc.POLICIES.items():
        assert config.world.behaviour(name).temperature == role.temperature
