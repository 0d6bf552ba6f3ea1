"""Configuration checks: inconsistent setups fail early with a typed error."""

from __future__ import annotations

import dataclasses

import pytest

from cje.simulator import FaultConfig, FaultSpecError, SimulatorConfigError, build_policy_routes
from cje.world.config import WorldConfig

from .helpers import BASE, JUDGE, ORACLE, make_config


def test_clones_may_share_a_route_but_different_policies_may_not():
    world = WorldConfig()
    routes = build_policy_routes([("base", "m", "s"), ("clone", "m", "s"), ("premium", "m", "t")], world)
    assert routes == {("m", "s"): "base", ("m", "t"): "premium"}
    with pytest.raises(SimulatorConfigError, match="behave differently"):
        build_policy_routes([("base", "m", "s"), ("premium", "m", "s")], world)
    with pytest.raises(SimulatorConfigError, match="not in the world"):
        build_policy_routes([("mystery", "m", "s")], world)


@pytest.mark.parametrize(
    "changes",
    [
        {"judge_model": ORACLE},
        {"judge_model": BASE.model},
        {"policies": {}},
        {"policies": {("m", None): "nobody"}},
        {"chat_template": "no-such-template"},
        {"world": WorldConfig(n_candidates=30)},
        {"population_prompts": 0},
    ],
)
def test_inconsistent_configs_are_refused(changes):
    with pytest.raises(SimulatorConfigError):
        make_config(**changes)


@pytest.mark.parametrize(
    "changes",
    [{"rate_429": 1.5}, {"rate_429": 0.6, "rate_drop": 0.6}, {"latency_ms": -1}, {"retry_after": -0.1}],
)
def test_bad_fault_configs_are_refused(changes):
    with pytest.raises(FaultSpecError):
        FaultConfig(**changes)


def test_a_valid_config_keeps_its_settings():
    config = make_config(seed=7, faults=FaultConfig(rate_5xx=0.25))
    assert config.seed == 7 and config.faults.rate_5xx == 0.25
    assert config.policy_models == tuple(dict.fromkeys(m for m, _ in config.policies))
    assert JUDGE not in config.policy_models
    assert dataclasses.replace(config, port=0).port == 0
