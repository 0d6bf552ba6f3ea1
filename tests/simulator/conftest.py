"""Fixtures: a simulator serving the experiment's policies, in this process."""

from __future__ import annotations

import openai
import pytest

from cje.simulator import run_simulator

from .helpers import make_config


@pytest.fixture(scope="module")
def sim():
    """One simulator per test module, with no faults."""
    with run_simulator(make_config()) as running:
        yield running


@pytest.fixture()
def fresh_sim():
    """A simulator of its own, for tests that depend on its history."""
    with run_simulator(make_config()) as running:
        yield running


@pytest.fixture(scope="module")
def client(sim):
    return openai.OpenAI(base_url=sim.base_url, api_key="x", max_retries=0)
