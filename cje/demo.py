"""The demo: simulate a dataset with known truth, analyse it, show both.

``python -m cje.demo`` runs the project's scripts as a user would, on data from
the statistical simulator, and prints every estimator's estimate beside the
true value of each policy.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import click

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def run_step(arguments: list[str]) -> None:
    """Run one project script with this interpreter; stop the demo if it fails."""
    completed = subprocess.run([sys.executable, *arguments], cwd=PROJECT_ROOT, check=False)
    if completed.returncode != 0:
        raise SystemExit(completed.returncode)


@click.command()
@click.option("--n-prompts", type=click.IntRange(50), default=1000, show_default=True)
@click.option("--oracle-coverage", type=click.FloatRange(0, 1), default=0.25, show_default=True,
              help="Share of oracle labels the analysis keeps.")
@click.option("--data-dir", type=click.Path(file_okay=False, path_type=Path), default="data/demo",
              show_default=True)
@click.option("--seed", type=int, default=42, show_default=True)
def main(n_prompts: int, oracle_coverage: float, data_dir: Path, seed: int) -> None:
    """Simulate, analyse with every estimator, and compare with the truth."""
    data_dir = data_dir if data_dir.is_absolute() else PROJECT_ROOT / data_dir
    run_step(["-m", "cje.world", "--n-prompts", str(n_prompts), "--data-dir", str(data_dir),
              "--seed", str(seed)])
    run_step([
        "analyze_dataset.py", "--data", str(data_dir / "cje_dataset.jsonl"), "--estimator", "all",
        "--oracle-coverage", str(oracle_coverage), "--seed", str(seed),
        "--truth", str(data_dir / "truth.json"), "--output", str(data_dir / "results.json"),
        "--plot-dir", str(data_dir / "plots"),
    ])


if __name__ == "__main__":
    main()
