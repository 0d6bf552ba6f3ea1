"""What a simulator serves: its world, its models and its faults."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from cje.chat_template import UnknownChatTemplateError, get_chat_template
from cje.errors import CJEError
from cje.simulator.faults import FaultConfig
from cje.simulator.texts import MAX_CANDIDATES
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
