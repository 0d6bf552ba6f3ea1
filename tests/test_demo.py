"""``python -m cje.demo``: the README's main job, end to end in a subprocess."""

from __future__ import annotations

import json
import subprocess
import sys

import jsonschema

from cje.report.schema import load_schema
from tests.conftest import REPO_ROOT

DEMO_SEED = "4177"


def _simulators_alive() -> list[str]:
    listing = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True, check=True).stdout
    return [line for line in listing.splitlines()
            if "cje.simulator" in line and f"--seed {DEMO_SEED}" in line]


def run_demo(data_dir) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cje.demo", "--n-samples", "40", "--data-dir", str(data_dir), "--seed", DEMO_SEED,
         "--quiet"],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=600,
    )


def test_demo_generates_analyses_leaves_no_process_and_reruns_to_the_same_table(tmp_path):
    completed = run_demo(tmp_path / "demo")
    assert completed.returncode == 0, completed.stderr[-2000:]
    assert "comparison of estimators" in completed.stdout and "truth" in completed.stdout
    again = run_demo(tmp_path / "demo")  # everything resumed: nothing is asked again
    assert again.returncode == 0, again.stderr[-2000:]
    assert again.stdout == completed.stdout
    assert "Traceback" not in completed.stderr + again.stderr
    demo = tmp_path / "demo"
    truth = json.loads((demo / "truth.json").read_text())
    assert set(truth) == {"base", "clone", "parallel_universe_prompt", "premium", "unhelpful"}
    results = json.loads((demo / "results.json").read_text())
    jsonschema.Draft202012Validator(load_schema()).validate(results)
    assert results["command_line"][0] == "analyze_dataset.py"
    assert results["truth"] == truth
    assert set(results["policies"]) == {"clone", "parallel_universe_prompt", "premium", "unhelpful"}
    for name in ("weight_dashboard.png", "calibration_comparison.png", "policy_estimates.png"):
        assert (demo / "plots" / name).stat().st_size > 1000
    assert not _simulators_alive()
