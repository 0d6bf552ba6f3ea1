"""Fixtures: one offline simulator per test module (reset before each test)."""

from __future__ import annotations

import pytest

from cje.simulator import run_simulator

from .helpers import reset, sim_config


@pytest.fixture(scope="module")
def sim():
    with run_simulator(sim_config()) as running:
        yield running


@pytest.fixture()
def clean_sim(sim):
    """The module's simulator with its counters and scheduled faults cleared."""
    reset(sim)
    return sim
