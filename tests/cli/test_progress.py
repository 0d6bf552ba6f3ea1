"""Progress in a log is plain lines, not carriage-return frames; status blocks say
what is done, to do and to redo."""

from __future__ import annotations

import io
import os
import subprocess
import sys

from cje.cli.progress import ConsoleReporter, PlainProgress, status_block
from cje.pipeline.runner import StepStatus
from cje.simulator import run_simulator
from tests.conftest import REPO_ROOT
from tests.pipeline.helpers import env_for, sim_config, small_prompts_file


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_plain_progress_writes_a_line_every_few_seconds_with_rate_and_eta():
    stream, clock = io.StringIO(), Clock()
    progress = PlainProgress("responses", 100, stream=stream, every=5.0, clock=clock)
    for i in range(60):
        clock.now = i * 0.2  # 5 requests per second
        progress.advance(failed=i % 20 == 0)
    progress.close()
    lines = stream.getvalue().splitlines()
    assert "\r" not in stream.getvalue() and len(lines) == 3  # at 5 s, at 10 s, and at the end
    assert lines[0].startswith("   responses: 26/100 (26%), 5.2/s, ETA 14s")
    assert lines[-1].endswith("failed 3") and "60/100" in lines[-1]


def test_a_reporter_draws_plain_lines_when_stderr_is_not_a_terminal():
    stream = io.StringIO()
    bar = ConsoleReporter(quiet=False, stream=stream).bar("judge", 3)
    assert isinstance(bar, PlainProgress)
    assert type(ConsoleReporter(quiet=True, stream=stream).bar("judge", 3)).__name__ == "_NoBar"


def test_status_blocks_separate_to_do_from_to_redo():
    block = status_block(StepStatus("judge", "scores", 10, 4, {"missing": 3, "failed": 2, "stale": 1}))
    assert "already done         4  (resumed)" in block
    assert "to do                3  (missing)" in block
    assert "to redo              3  (failed 2, stale 1)" in block


def test_a_logged_run_has_no_progress_bar_frames(tmp_path):
    with run_simulator(sim_config()) as sim:
        done = subprocess.run(
            [sys.executable, "generate_arena_data.py", "--n-samples", "4", "--prompts-file",
             str(small_prompts_file(tmp_path, 5)), "--data-dir", str(tmp_path / "data")],
            cwd=REPO_ROOT, env={**os.environ, **env_for(sim)}, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "\r" not in done.stderr and "   responses: 20/20 (100%)" in done.stderr
    assert "retries: none" in done.stdout and "tokens used" in done.stdout and "estimated cost: $0.00" in done.stdout
