"""Simulated datasets for the speed benchmark, cached as ``.npz`` files.

Simulating a million prompts takes longer, and far more memory, than
analysing them; each measurement runs in a fresh process that only loads the
columns, so its peak memory is the analysis's and not the simulator's.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np

from cje.data.tables import Dataset, FreshTable, LoggedTable
from cje.world import WorldConfig, simulate_dataset

SPEED_SEED = 20_251_127


def dataset_path(directory: Path, n_prompts: int) -> Path:
    world = hashlib.sha256(repr(WorldConfig()).encode()).hexdigest()[:10]
    return directory / f"sim_{n_prompts}_{world}.npz"


def ensure_dataset(directory: Path, n_prompts: int) -> Path:
    """Simulate and save the ``n_prompts`` dataset unless it is cached."""
    path = dataset_path(directory, n_prompts)
    if not path.exists():
        directory.mkdir(parents=True, exist_ok=True)
        save_dataset(simulate_dataset(n_prompts, seed=SPEED_SEED).dataset, path)
    return path


def save_dataset(dataset: Dataset, path: Path) -> None:
    logged = dataset.logged
    columns = {
        "prompt_id": logged.prompt_id.astype(str), "judge_score": logged.judge_score,
        "oracle_label": logged.oracle_label, "reward": logged.reward, "base_logprob": logged.base_logprob,
    }
    columns.update({f"target/{p}": v for p, v in logged.target_logprob.items()})
    for policy, fresh in dataset.fresh.items():
        columns.update({f"fresh/{policy}/prompt_id": fresh.prompt_id.astype(str),
                        f"fresh/{policy}/judge_score": fresh.judge_score,
                        f"fresh/{policy}/oracle_label": fresh.oracle_label})
    # Write to a temporary name first: a killed run must not leave a torn cache.
    partial = path.with_name(path.stem + ".partial.npz")
    np.savez(partial, **columns)
    partial.replace(path)


def load_dataset_npz(path: Path) -> Dataset:
    with np.load(path, allow_pickle=False) as archive:
        columns = {name: archive[name] for name in archive.files}
    targets = {name.split("/", 1)[1]: v for name, v in columns.items() if name.startswith("target/")}
    logged = LoggedTable(
        prompt_id=columns["prompt_id"].astype(object), judge_score=columns["judge_score"],
        oracle_label=columns["oracle_label"], reward=columns["reward"],
        base_logprob=columns["base_logprob"], target_logprob=targets,
    )
    fresh = {
        policy: FreshTable(policy, columns[f"fresh/{policy}/prompt_id"].astype(object),
                           columns[f"fresh/{policy}/judge_score"], columns[f"fresh/{policy}/oracle_label"])
        for policy in targets if f"fresh/{policy}/prompt_id" in columns
    }
    return Dataset(logged=logged, fresh=fresh)
