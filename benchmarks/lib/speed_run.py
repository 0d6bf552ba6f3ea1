"""Run one speed measurement in a fresh process and describe the machine."""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class MeasureSettings:
    coverage: float
    repeats: int
    budget_s: float
    n_bootstrap: int
    timeout_s: float


def measure(data: Path, n_prompts: int, variant: str, settings: MeasureSettings) -> dict:
    """A fresh interpreter per measurement: its peak memory is this
    estimator's alone, and no cache warmed by another estimator helps it."""
    command = [sys.executable, "-m", "benchmarks.lib.speed_probe", str(data), variant,
               "--oracle-coverage", str(settings.coverage), "--repeats", str(settings.repeats),
               "--budget-s", str(settings.budget_s), "--n-bootstrap", str(settings.n_bootstrap)]
    base = {"variant": variant, "n_prompts": n_prompts}
    try:
        done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=settings.timeout_s,
                              check=False)
    except subprocess.TimeoutExpired:
        return {**base, "status": f"timeout after {settings.timeout_s:.0f} s"}
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        return {**base, "status": f"failed (exit {done.returncode}): {last[:200]}"}
    return {**base, **json.loads(done.stdout.strip().splitlines()[-1]), "status": "ok"}


def machine_description() -> str:
    return (f"{_cpu_model()}, {os.cpu_count()} logical cores, {_memory_gib():.0f} GiB RAM, "
            f"{platform.system()} {platform.machine()}, Python {platform.python_version()}, "
            f"numpy {np.__version__}")


def _cpu_model() -> str:
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown CPU"


def _memory_gib() -> float:
    meminfo = Path("/proc/meminfo")
    if meminfo.exists():
        for line in meminfo.read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) / 2**20
    return float("nan")
