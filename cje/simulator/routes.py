"""Which world policy, or which scorer, a request addresses.

A policy is identified by the request's model *and* system prompt, since
several policies of the experiment share a model and differ only in their
system prompt. Two policies that share both (``base`` and its exact
``clone``) are indistinguishable on the wire; that is allowed only when the
world makes them identical too.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

from cje.simulator.config import PolicyKey, SimulatorConfig, SimulatorConfigError
from cje.simulator.protocol import ApiError, bad_request
from cje.world.config import WorldConfig

Scorer = Literal["judge", "oracle"]


def build_policy_routes(
    entries: Iterable[tuple[str, str, str | None]], world: WorldConfig
) -> dict[PolicyKey, str]:
    """Routes from (policy, model, system prompt) entries, in order.

    When two policies share a (model, system prompt), the first keeps the
    route; the world must make the second an exact clone of it.
    """
    routes: dict[PolicyKey, str] = {}
    for policy, model, system in entries:
        if policy not in world.policies:
            raise SimulatorConfigError(f"policy {policy!r} is not in the world {world.policies}")
        owner = routes.setdefault((model, system), policy)
        if owner != policy and not is_exact_clone(world, owner, policy):
            raise SimulatorConfigError(
                f"policies {owner!r} and {policy!r} share a model and system prompt "
                "but behave differently in the world"
            )
    return routes


def is_exact_clone(world: WorldConfig, first: str, second: str) -> bool:
    """Whether the world gives ``first`` and ``second`` identical logits."""
    a, b = world.behaviour(first), world.behaviour(second)
    same = (a.quality_slope, a.deceptive_bias, a.noise_sd, a.temperature) == (
        b.quality_slope, b.deceptive_bias, b.noise_sd, b.temperature
    )
    shared = (b.shares_noise_with == a.name and b.noise_correlation == 1.0) or (
        a.shares_noise_with == b.name and a.noise_correlation == 1.0
    )
    return same and shared


class Router:
    """Resolves requests against a configuration's routes."""

    def __init__(self, config: SimulatorConfig) -> None:
        self._policies = dict(config.policies)
        self._scorers: dict[str, Scorer] = {config.judge_model: "judge", config.oracle_model: "oracle"}
        self.models = (*config.policy_models, config.judge_model, config.oracle_model)

    def scorer(self, model: str) -> Scorer | None:
        """``"judge"`` or ``"oracle"`` for a scorer model, else None."""
        return self._scorers.get(model)

    def policy(self, model: str, system: str | None) -> str:
        """The world policy behind (model, system prompt); 404 for an unknown
        model, 400 for a known model with a system prompt no policy uses."""
        policy = self._policies.get((model, system))
        if policy is not None:
            return policy
        if model not in self.models:
            raise ApiError(404, f"The model `{model}` does not exist.", code="model_not_found",
                           param="model")
        if model in self._scorers:
            raise bad_request(f"`{model}` is a scorer model; it has no policy log-probs", "model")
        raise bad_request(
            f"no simulated policy uses model `{model}` with this system prompt", "messages"
        )

    def require_model(self, model: str) -> None:
        if model not in self.models:
            raise ApiError(404, f"The model `{model}` does not exist.", code="model_not_found",
                           param="model")
