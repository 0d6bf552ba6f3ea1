"""Shared fixtures: the reference data beside the checkout, and small simulated datasets."""

from __future__ import annotations

from pathlib import Path

import pytest

from cje.world import simulate_dataset

REPO_ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = REPO_ROOT.parent / "shared" / "data"
ARENA_SAMPLE = SHARED_DATA / "arena_sample"


@pytest.fixture(scope="session")
def arena_sample() -> Path:
    """The real Arena sample; tests using it skip when ../shared is absent."""
    if not (ARENA_SAMPLE / "logged_data.jsonl").exists():
        pytest.skip("../shared/data/arena_sample is not present")
    return ARENA_SAMPLE


@pytest.fixture(scope="session")
def small_sim():
    """A 600-prompt simulated dataset with a probe slice (fixed seed)."""
    return simulate_dataset(600, seed=7, fresh_oracle_fraction=0.1)
