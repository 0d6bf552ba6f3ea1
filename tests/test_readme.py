"""The README's commands work as written: the Poetry lines on this machine, the
experiment's documented command list end to end against the offline simulator,
and the Python API example."""

from __future__ import annotations

import contextlib
import io
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from cje.simulator import run_simulator
from tests.conftest import REPO_ROOT
from tests.pipeline.helpers import sim_config

README = REPO_ROOT / "README.md"
TEST_PROMPTS = 120  # the documented 1000, fewer to keep the test short
COVERAGES = ("0.05", "0.1", "0.25", "0.5", "1.0")


def readme_block(marker: str) -> str:
    """The bash block right after ``<!-- marker -->`` in the README."""
    found = re.search(rf"<!-- {marker} -->\n```bash\n(.*?)```", README.read_text(encoding="utf-8"), re.S)
    assert found, f"README has no bash block marked <!-- {marker} -->"
    return found.group(1)


def bash(script: str, cwd: Path, env: dict[str, str], timeout: float) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["bash", "-euo", "pipefail", "-c", script], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=timeout)


def test_poetry_run_works_exactly_as_the_readme_says():
    # A shell where poetry is not on the PATH yet, as on a fresh machine after the setup.
    path = os.pathsep.join(p for p in os.environ.get("PATH", "").split(os.pathsep) if ".poetry-venv" not in p)
    env = {**os.environ, "PATH": path or "/usr/bin:/bin"}
    env.pop("VIRTUAL_ENV", None)
    done = bash(readme_block("poetry-setup"), REPO_ROOT, env, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "Usage: analyze_dataset.py" in done.stdout and "--oracle-coverage" in done.stdout


def workspace(tmp_path: Path) -> Path:
    """A working directory that looks like the repository (the commands use its
    relative paths) but keeps every output out of it."""
    for name in ("analyze_dataset.py", "generate_arena_data.py", "regenerate_failed_responses.py",
                 "pipeline_steps", "cje", "policy_config.py"):
        (tmp_path / name).symlink_to(REPO_ROOT / name)
    return tmp_path


@pytest.mark.slow
def test_the_documented_command_list_runs_end_to_end_against_the_simulator(tmp_path):
    script = readme_block("experiment-commands")
    assert script.count("--n-samples 1000") == 4 and "127.0.0.1:8000" in script
    work = workspace(tmp_path)
    with run_simulator(sim_config()) as sim:
        script = (script.replace("poetry run python", sys.executable)
                  .replace("--n-samples 1000", f"--n-samples {TEST_PROMPTS}")
                  .replace("127.0.0.1:8000", f"{sim.host}:{sim.port}"))
        done = bash(script, work, dict(os.environ), timeout=1800)
    assert done.returncode == 0, f"{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    assert "Traceback" not in done.stderr
    assert "dry run: nothing is sent and nothing is written." in done.stdout
    assert (work / "data" / "cje_dataset.jsonl").read_text().count("\n") == TEST_PROMPTS
    assert (work / "results" / "all_estimators.json").stat().st_size > 1000
    assert (work / "results" / "sweep.csv").read_text().count("\n") == 1 + 4 * len(COVERAGES)
    assert (work / "plots" / "sweep" / "coverage_sweep.png").stat().st_size > 1000
    for coverage in COVERAGES:
        assert (work / "results" / f"coverage_{coverage}.json").exists()
        plots = list((work / "plots" / f"coverage_{coverage}").glob("*.png"))
        assert plots and all(p.stat().st_size > 1000 for p in plots), coverage


def python_api_example() -> str:
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("\n## Python API\n", 1)[1].split("\n## ", 1)[0]
    found = re.search(r"```python\n(.*?)```", section, flags=re.S)
    assert found, "the Python API section has no python example"
    return found.group(1)


def test_the_python_api_example_runs(tmp_path):
    code = python_api_example()
    output = io.StringIO()
    before = os.getcwd()
    os.chdir(tmp_path)  # the example writes under data/sim
    try:
        with contextlib.redirect_stdout(output):
            exec(compile(code, "README.md (Python API)", "exec"), {"__name__": "readme_example"})
    finally:
        os.chdir(before)
    printed = output.getvalue()
    assert "stacked-dr · sim/cje_dataset.jsonl" in printed and "refuse" in printed
    assert (tmp_path / "data" / "sim" / "report.html").stat().st_size > 10_000
