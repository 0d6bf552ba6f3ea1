"""What a simulator serves - its world, its models, its faults - and which world
policy, or which scorer, a request addresses.

A policy is identified by the request's model *and* system prompt, since
several policies of the experiment share a model and differ only in their
system prompt. Two policies that share both (``base`` and its exact
``clone``) are indistinguishable on the wire; that is allowed only when the
world makes them identical too.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from cje.chat_template import UnknownChatTemplateError, get_chat_template
from cje.errors import CJEError
from cje.simulator.faults import FaultConfig
from cje.simulator.protocol import ApiError, bad_request
from cje.simulator.world_view import MAX_CANDIDATES
from cje.world.config import WorldConfig

PolicyKey = tuple[str, str | None]


class SimulatorConfigError(CJEError):
    """The simulator was configured inconsistently."""


@dataclass(frozen=True)
class SimulatorConfig:
    """Everything a simulator needs.

    ``policies`` maps a request's (model, system prompt) to the world policy it
    samples from (``None`` for a request without a system message).
    ``judge_model`` and ``oracle_model`` are the scorer models' names.
    ``truth_file``, when set, receives the truth report on every
    ``/v1/simulator/truth`` request and at shutdown. ``population_prompts`` is
    the Monte-Carlo size of the population truth (smaller is faster, for tests).
    """

    policies: Mapping[PolicyKey, str]
    judge_model: str
    oracle_model: str
    world: WorldConfig = field(default_factory=WorldConfig)
    seed: int = 42
    faults: FaultConfig = field(default_factory=FaultConfig)
    host: str = "127.0.0.1"
    port: int = 0
    truth_file: Path | None = None
    population_prompts: int = 1_000_000
    prompt_cache_size: int = 4096
    chat_template: str = "llama3"
    max_body_bytes: int = 16 * 1024 * 1024

    def __post_init__(self) -> None:
        if not self.policies:
            raise SimulatorConfigError("the simulator needs at least one policy route")
        unknown = sorted(set(self.policies.values()) - set(self.world.policies))
        if unknown:
            raise SimulatorConfigError(f"routes name policies the world lacks: {unknown}")
        if self.judge_model == self.oracle_model:
            raise SimulatorConfigError("the judge and the oracle need different model names")
        clash = {self.judge_model, self.oracle_model} & {model for model, _ in self.policies}
        if clash:
            raise SimulatorConfigError(f"scorer model names are also policy models: {sorted(clash)}")
        if self.world.n_candidates > MAX_CANDIDATES:
            raise SimulatorConfigError(f"the simulator supports at most {MAX_CANDIDATES} candidates")
        if not 0 <= self.port <= 65535:
            raise SimulatorConfigError(f"port {self.port} is out of range")
        if self.population_prompts < 1 or self.prompt_cache_size < 1:
            raise SimulatorConfigError("population_prompts and prompt_cache_size must be positive")
        try:
            get_chat_template(self.chat_template)
        except UnknownChatTemplateError as error:
            raise SimulatorConfigError(str(error)) from None

    @property
    def policy_models(self) -> tuple[str, ...]:
        """Distinct policy model names, in route order."""
        return tuple(dict.fromkeys(model for model, _ in self.policies))


Scorer = Literal["judge", "oracle"]


# ---- routes ------------------------------------------------------------------


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
