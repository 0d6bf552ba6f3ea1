"""Where an experiment's datasets come from: the simulator or files.

A :class:`Source` is small and picklable so worker processes can rebuild the
same base dataset from it; :func:`base_dataset` memoises per process because
a worker runs many units on the same file or simulated seed.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from benchmarks.lib.subsample import subsample_prompts
from cje.data.load import load_dataset
from cje.data.tables import Dataset
from cje.world import WorldConfig, simulate_dataset

# Seeds of the simulated worlds, and of the prompt subsamples, are derived from
# the experiment seed in separate streams so they never coincide.
SIMULATOR_SEED_BASE = 50_000
SUBSAMPLE_STREAM = 7


@dataclass(frozen=True)
class Source:
    """``data`` None means the simulator: each seed simulates ``sim_prompts``
    prompts (the largest sample size) and smaller samples are subsamples."""

    name: str
    data: Path | None = None
    fresh_draws_dir: Path | None = None
    sim_prompts: int = 0

    @property
    def simulated(self) -> bool:
        return self.data is None


def base_dataset(source: Source, seed: int) -> Dataset:
    if source.simulated:
        return _simulated(source.sim_prompts, seed)
    return _loaded(source.data, source.fresh_draws_dir)


@lru_cache(maxsize=4)
def _simulated(n_prompts: int, seed: int) -> Dataset:
    return simulate_dataset(n_prompts, seed=SIMULATOR_SEED_BASE + seed, config=WorldConfig()).dataset


@lru_cache(maxsize=2)
def _loaded(data: Path, fresh_draws_dir: Path | None) -> Dataset:
    return load_dataset(data, fresh_draws_dir)


def sample_for(source: Source, n_prompts: int, seed: int) -> Dataset:
    """The seed's ``n_prompts``-prompt subsample of the source."""
    rng = np.random.default_rng([SUBSAMPLE_STREAM, seed, n_prompts])
    return subsample_prompts(base_dataset(source, seed), n_prompts, rng)


def source_identity(source: Source) -> str:
    """What fixes the source's data: the world's parameters, or the files' bytes."""
    if source.simulated:
        return f"simulator:{source.sim_prompts}:{WorldConfig()!r}"
    digest = hashlib.sha256()
    fresh_dir = source.fresh_draws_dir or source.data.parent / "responses"
    for path in [source.data, *sorted(fresh_dir.glob("*_responses.jsonl"))]:
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return f"files:{digest.hexdigest()}"
