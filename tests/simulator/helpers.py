"""Shared helpers of the simulator tests: configuration and raw HTTP calls."""

from __future__ import annotations

import http.client
import json

import policy_config as pc
from cje.simulator import SimulatorConfig, build_policy_routes
from cje.world.config import WorldConfig

JUDGE = pc.JUDGE.model
ORACLE = pc.ORACLE.model
BASE = pc.POLICIES["base"]
PROMPTS = (
    "How do I bake sourdough bread at home?",
    "Explain the difference between TCP and UDP.",
    "Write a haiku about autumn leaves.",
    "What should I pack for a week of hiking in the Alps?",
    "¿Cómo se dice 'good morning' en japonés? 🌅",
)


def policy_routes(world: WorldConfig) -> dict[tuple[str, str | None], str]:
    return build_policy_routes(
        ((name, role.model, role.system_prompt) for name, role in pc.POLICIES.items()), world
    )


def make_config(**changes: object) -> SimulatorConfig:
    world = WorldConfig()
    settings: dict[str, object] = {
        "policies": policy_routes(world), "judge_model": JUDGE, "oracle_model": ORACLE,
        "world": world, "population_prompts": 20_000,
    }
    settings.update(changes)
    return SimulatorConfig(**settings)  # type: ignore[arg-type]


def policy_messages(role: pc.Role, prompt: str) -> list[dict[str, str]]:
    messages = [] if role.system_prompt is None else [{"role": "system", "content": role.system_prompt}]
    return [*messages, {"role": "user", "content": prompt}]


def raw_request(sim, method: str, path: str, body: object | None = None,
                headers: dict[str, str] | None = None, timeout: float = 10.0):
    """(status, headers, parsed JSON body or None) over a fresh connection."""
    connection = http.client.HTTPConnection(sim.host, sim.port, timeout=timeout)
    try:
        payload = None if body is None else json.dumps(body)
        connection.request(method, path, payload, {"Content-Type": "application/json", **(headers or {})})
        response = connection.getresponse()
        data = response.read()
        return response.status, dict(response.getheaders()), (json.loads(data) if data else None)
    finally:
        connection.close()


def chat_body(prompt: str, role: pc.Role = BASE, **extra: object) -> dict[str, object]:
    return {"model": role.model, "messages": policy_messages(role, prompt), **extra}
