"""``python -m cje.simulator``: serve the offline OpenAI-compatible simulator.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import signal
import threading
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TypeVar

import click

from cje.api.endpoints import Role
from cje.cli.config import PolicyConfig
from cje.cli.errors import command
from cje.cli.options import finite_float, policy_config_option, seed_option
from cje.pipeline.settings import Roles
from cje.simulator.config import SimulatorConfig, SimulatorConfigError, build_policy_routes
from cje.simulator.faults import FaultConfig
from cje.simulator.server import RunningSimulator
from cje.world.config import WorldConfig

F = TypeVar("F", bound=Callable[..., object])


def _world_for(temperatures: Mapping[str, float], world: WorldConfig) -> WorldConfig:
    """The world with each policy sampling at the temperature policy_config gives it,
    so the truth is computed at the temperature the pipeline requests."""
    behaviours = tuple(
        dataclasses.replace(b, temperature=temperatures[b.name]) if b.name in temperatures else b
        for b in world.behaviours
    )
    return dataclasses.replace(world, behaviours=behaviours)


def _chat_template(roles: Mapping[str, Role]) -> str:
    templates = {role.chat_template for role in roles.values()}
    if len(templates) != 1:
        raise SimulatorConfigError(f"the simulator serves one chat template, policies use {sorted(templates)}")
    return templates.pop()


def _faults(options: Mapping[str, Any]) -> FaultConfig:
    names = ("rate_429", "retry_after", "rate_5xx", "rate_drop", "rate_truncate", "rate_slow", "slow_ms",
             "rate_bad_judge", "latency_ms", "latency_jitter_ms", "require_api_key", "quota_exhausted",
             "seed")
    return FaultConfig(**{name: options[name] for name in names})


def build_config(options: Mapping[str, Any], roles: Roles) -> SimulatorConfig:
    """The simulator configuration from the command's options and the policy config's roles."""
    world = _world_for({name: role.temperature for name, role in roles.policies.items()}, WorldConfig())
    routes = build_policy_routes(
        ((name, role.model, role.system_prompt) for name, role in roles.policies.items()), world
    )
    return SimulatorConfig(
        policies=routes,
        judge_model=os.environ.get("CJE_JUDGE_MODEL") or roles.judge.model,
        oracle_model=os.environ.get("CJE_ORACLE_MODEL") or roles.oracle.model,
        world=world, seed=options["seed"], faults=_faults(options), host=options["host"],
        port=options["port"], truth_file=options["truth_file"],
        population_prompts=options["population_prompts"], chat_template=_chat_template(roles.policies),
    )


def _rate(name: str, help_text: str) -> Callable[[F], F]:
    return click.option(name, type=finite_float(0, 1), default=0.0, show_default=True, help=help_text)


@command()
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on (127.0.0.1: this machine only).")
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True,
              help="Port to listen on; 0 picks a free one (printed at start).")
@seed_option
@click.option("--truth", "truth_file", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write the truth JSON here on every truth request and at shutdown (analyze_dataset.py "
                   "--truth reads it).")
@click.option("--population-prompts", type=click.IntRange(1), default=1_000_000, show_default=True,
              help="Monte-Carlo size of the population truth.")
@_rate("--rate-429", "Fraction of requests answered 429 with Retry-After.")
@click.option("--retry-after", type=finite_float(0), default=1.0, show_default=True,
              help="Retry-After of those 429s, in seconds.")
@_rate("--rate-5xx", "Fraction answered 500, 502 or 503.")
@_rate("--rate-drop", "Fraction whose connection is closed without a reply.")
@_rate("--rate-truncate", "Fraction whose JSON body is cut off.")
@_rate("--rate-slow", "Fraction answered after an extra delay.")
@click.option("--slow-ms", type=finite_float(0), default=2000.0, show_default=True,
              help="Extra delay of the --rate-slow replies, in milliseconds.")
@_rate("--rate-bad-judge", "Fraction of judge/oracle requests answered with non-JSON content.")
@click.option("--latency-ms", type=finite_float(0), default=0.0, show_default=True,
              help="Latency of every API request, in milliseconds.")
@click.option("--latency-jitter-ms", type=finite_float(0), default=0.0, show_default=True,
              help="Plus a uniform extra latency up to this many milliseconds.")
@click.option("--require-api-key", default=None, help="Answer 401 to requests without this key.")
@click.option("--quota-exhausted", is_flag=True, help="Answer every request 429 insufficient_quota.")
@click.option("--quiet", is_flag=True, help="Log warnings only (the listening line is still printed).")
@policy_config_option
def main(policy_config: PolicyConfig, **options: Any) -> None:
    """Serve an offline OpenAI-compatible API whose policies, judge and oracle
    live in a simulated world with known true policy values.

    Policies are the (model, system prompt) pairs of the policy config's POLICIES;
    the judge and oracle models are its JUDGE and ORACLE (or CJE_JUDGE_MODEL and
    CJE_ORACLE_MODEL). GET /v1/simulator/truth reports the true values (POST
    it {"prompts": [...]} for the values over given prompts);
    POST /v1/simulator/faults schedules faults for the next requests and
    GET /v1/simulator/stats counts requests. Stops cleanly on Ctrl-C or SIGTERM.
    """
    logging.basicConfig(level=logging.WARNING if options["quiet"] else logging.INFO,
                        format="%(levelname)s %(name)s: %(message)s")
    try:
        simulator = RunningSimulator(build_config(options, policy_config.roles))
    except OSError as error:  # typically: the port is taken
        raise SimulatorConfigError(f"cannot listen on {options['host']}:{options['port']}: {error.strerror}; "
                                   "pick another --port (0 picks a free one)") from None
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    simulator.start()
    click.echo(f"cje simulator listening on {simulator.base_url}")
    while not stop.wait(0.5):
        pass
    simulator.stop()
    if not options["quiet"]:
        click.echo("cje simulator stopped", err=True)
