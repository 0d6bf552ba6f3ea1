"""Crash safety: generate_arena_data.py killed with SIGKILL (and stopped with
Ctrl-C) in different steps, then re-run with the same command, ends with
exactly the files of an uninterrupted run - no duplicate, torn or lost row."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

import generate_arena_data
from cje.simulator import run_simulator

from .helpers import REPO, env_for, sim_config, small_prompts_file

N = 24


@pytest.fixture()
def slow_sim():
    """A simulator answering after 20 ms, so a run can be caught inside a step."""
    with run_simulator(sim_config(latency_ms=20)) as running:
        yield running


def command_args(prompts: Path, data_dir: Path) -> list[str]:
    return ["--n-samples", str(N), "--prompts-file", str(prompts), "--data-dir", str(data_dir),
            "--concurrency", "4", "--probe-fraction", "0.25", "--batch-size", "7",
            "--retry-base-delay", "0.001", "--quiet"]


def start(args: list[str], sim) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "generate_arena_data.py", *args], cwd=REPO,
                            env={**os.environ, **env_for(sim)}, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def lines_under(directory: Path) -> int:
    return sum(path.read_bytes().count(b"\n") for path in directory.glob("*.jsonl")) if directory.exists() else 0


def interrupt_when(process: subprocess.Popen[str], directory: Path, lines: int, signum: int) -> tuple[int, str]:
    """Send ``signum`` once ``directory``'s logs hold ``lines`` lines; the exit status and stderr."""
    deadline = time.monotonic() + 60
    while process.poll() is None and time.monotonic() < deadline:
        if lines_under(directory) >= lines:
            process.send_signal(signum)
            break
        time.sleep(0.002)
    _, stderr = process.communicate(timeout=60)
    return process.returncode, stderr


def outputs(data_dir: Path) -> dict[str, bytes]:
    return {str(p.relative_to(data_dir)): p.read_bytes() for p in sorted(data_dir.rglob("*"))
            if p.is_file() and p.name != ".cje.lock"}


def test_killed_at_several_points_then_resumed_equals_an_uninterrupted_run(sim, slow_sim, tmp_path):
    prompts = small_prompts_file(tmp_path, 60)
    reference_dir, data_dir = tmp_path / "reference", tmp_path / "data"
    clean = CliRunner().invoke(generate_arena_data.main, command_args(prompts, reference_dir), env=env_for(sim),
                               catch_exceptions=False)
    assert clean.exit_code == 0, clean.output
    args = command_args(prompts, data_dir)

    # 1. SIGKILL in the middle of the responses step.
    status, _ = interrupt_when(start(args, slow_sim), data_dir / "generations", 30, signal.SIGKILL)
    assert status == -signal.SIGKILL
    # A write the kill tore in half (the store writes whole lines; simulate the worst).
    with open(data_dir / "generations" / "base_generations.jsonl", "ab") as handle:
        handle.write(b'{"prompt_id": "torn", "response": "half a li')

    # 2. Ctrl-C in the middle of the judge step: a clean stop that says how to resume.
    status, stderr = interrupt_when(start(args, slow_sim), data_dir / "scores", 30, signal.SIGINT)
    assert status == 130 and "re-run the same command to resume" in stderr and "Traceback" not in stderr

    # 3. SIGKILL in the middle of the log-probs step.
    status, _ = interrupt_when(start(args, slow_sim), data_dir / "logprobs", 30, signal.SIGKILL)
    assert status == -signal.SIGKILL

    # 4. The same command again finishes the run.
    finished = start(args, slow_sim)
    stdout, stderr = finished.communicate(timeout=120)
    assert finished.returncode == 0, stderr
    assert "kept" in stdout

    expected, got = outputs(reference_dir), outputs(data_dir)
    assert sorted(got) == sorted(expected)
    for name, content in got.items():
        if name.endswith(".jsonl"):
            rows = [json.loads(line) for line in content.decode().splitlines()]  # no torn line anywhere
            ids = [row["prompt_id"] for row in rows]
            assert len(ids) == len(set(ids)), f"{name}: duplicate rows"
        assert content == expected[name], f"{name} differs from the uninterrupted run"
