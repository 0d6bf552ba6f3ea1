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


def test_demo_generates_analyses_and_leaves_no_process(tmp_path):
    completed = subprocess.run(
        [sys.executable, "-m", "cje.demo", "--n-prompts", "40", "--data-dir", str(tmp_path / "demo"),
         "--seed", DEMO_SEED, "--quiet"],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=600,
    )
    assert completed.returncode == 0, completed.stderr[-2000:]
    assert "comparison of estimators" in completed.stdout and "truth" in completed.stdout
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
