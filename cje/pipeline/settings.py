"""The settings of a pipeline run, validated once when they are built, and the
per-model request details that providers disagree on.

OpenAI's reasoning models (gpt-5, o1, o3, o4...) reject ``max_tokens`` and
want ``max_completion_tokens``, which also has to leave room for hidden
reasoning tokens. The parameter is chosen from the model name; set
``CJE_<ROLE>_TOKEN_LIMIT_PARAM`` (for example ``CJE_ORACLE_TOKEN_LIMIT_PARAM``)
to ``max_tokens`` or ``max_completion_tokens`` to override it for one role.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

from cje.api.endpoints import MODEL_OVERRIDE_ENV, Role
from cje.pipeline.errors import PipelineError


class ResumeMode(StrEnum):
    """Which finished rows a step keeps.

    ``resume`` (the default) keeps a row that succeeded, was computed from
    the current prompt and response texts, and with the current settings
    (model, system prompt, temperature, max tokens, seed); everything else
    is redone. ``skip-existing`` also keeps rows made with other settings:
    only missing, failed and stale rows are done (a value computed from a
    different text is always recomputed). ``force`` redoes every row.
    """

    RESUME = "resume"
    SKIP_EXISTING = "skip-existing"
    FORCE = "force"


@dataclass(frozen=True)
class ApiSettings:
    """How requests are sent: in flight at once, rate, retries, timeout.

    ``max_attempts`` counts the first request (``--max-retries``).
    ``retry_base_delay`` scales the exponential backoff (tests make it tiny);
    ``max_retry_after`` caps how long a server's ``Retry-After`` is honoured.
    ``batch_size`` is how many appended rows may wait for an fsync.
    """

    concurrency: int = 8
    requests_per_minute: float | None = None
    max_attempts: int = 5
    timeout: float = 120.0
    retry_base_delay: float = 1.0
    max_retry_after: float = 120.0
    batch_size: int = 20

    def __post_init__(self) -> None:
        _at_least(self.concurrency, 1, "concurrency")
        _at_least(self.max_attempts, 1, "max retries (attempts per request)")
        _at_least(self.batch_size, 1, "batch size")
        if self.requests_per_minute is not None and not self.requests_per_minute > 0:
            raise PipelineError(f"requests per minute must be > 0, got {self.requests_per_minute}")
        for name in ("timeout", "retry_base_delay", "max_retry_after"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value >= 0):
                raise PipelineError(f"{name} must be a finite number >= 0, got {value}")


@dataclass(frozen=True)
class RunSettings:
    """What a run computes, beyond how it talks to the API.

    ``oracle_fraction`` of the logging policy's rows get an oracle label and
    ``probe_fraction`` of each target policy's rows (a probe slice for the
    analysis's transport check); both subsets are chosen by a seeded hash of
    ``prompt_id``, so a smaller fraction is a subset of a larger one.
    ``draw_logprobs``: also teacher-force each target policy's own responses
    under itself and under the logging policy (the analysis's target coverage:
    how much of what the target writes the logger could have written).
    """

    seed: int = 42
    max_tokens: int = 256
    oracle_fraction: float = 1.0
    probe_fraction: float = 0.05
    max_parse_attempts: int = 3
    mode: ResumeMode = ResumeMode.RESUME
    draw_logprobs: bool = True

    def __post_init__(self) -> None:
        _at_least(self.max_tokens, 1, "max tokens")
        _at_least(self.max_parse_attempts, 1, "max parse attempts")
        for name in ("oracle_fraction", "probe_fraction"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise PipelineError(f"{name.replace('_', ' ')} must be in [0, 1], got {value}")


@dataclass(frozen=True)
class Roles:
    """The models a run calls: policies (logging policy first), judge, oracle."""

    policies: Mapping[str, Role]
    logging_policy: str
    judge: Role
    oracle: Role

    def __post_init__(self) -> None:
        if self.logging_policy not in self.policies:
            raise PipelineError(f"the logging policy {self.logging_policy!r} is not among the policies")

    @property
    def logging_role(self) -> Role:
        return self.policies[self.logging_policy]

    @property
    def target_policies(self) -> tuple[str, ...]:
        return tuple(name for name in self.policies if name != self.logging_policy)


@dataclass(frozen=True)
class ModelPrice:
    """What a model costs, in US dollars per million tokens (an estimate: from
    ``policy_config.PRICES``, not from the provider's bill)."""

    input_per_million: float
    output_per_million: float

    def cost(self, input_tokens: float, output_tokens: float) -> float:
        return (input_tokens * self.input_per_million + output_tokens * self.output_per_million) / 1e6


def _at_least(value: int, minimum: int, what: str) -> None:
    if value < minimum:
        raise PipelineError(f"{what} must be at least {minimum}, got {value}")


# ---- per-model request details -------------------------------------------------

TokenLimitParam = Literal["max_tokens", "max_completion_tokens"]
TOKEN_LIMIT_PARAMS: tuple[TokenLimitParam, ...] = ("max_tokens", "max_completion_tokens")
REASONING_MODEL_PREFIXES = ("gpt-5", "o1", "o3", "o4")

# A judge reply is a short JSON object; a reasoning model also spends hidden
# tokens thinking before it writes one, which count against its limit.
SCORER_MAX_TOKENS = 64
REASONING_SCORER_MAX_TOKENS = 4096


def effective_model(role: Role, env: Mapping[str, str] | None = None) -> str:
    """The model a role will call, after ``CJE_JUDGE_MODEL`` / ``CJE_ORACLE_MODEL``
    (the same rule as ``cje.api.endpoints``, without needing an API key)."""
    environ = os.environ if env is None else env
    variable = MODEL_OVERRIDE_ENV.get(role.name)
    override = environ.get(variable, "").strip() if variable else ""
    return override or role.model


def token_limit_param(role_name: str, model: str, env: Mapping[str, str] | None = None) -> TokenLimitParam:
    """``max_completion_tokens`` for OpenAI reasoning models, else ``max_tokens``."""
    environ = os.environ if env is None else env
    variable = f"CJE_{role_name.upper()}_TOKEN_LIMIT_PARAM"
    override = environ.get(variable, "").strip()
    if override:
        if override not in TOKEN_LIMIT_PARAMS:
            raise PipelineError(f"{variable}={override!r}: use one of {', '.join(TOKEN_LIMIT_PARAMS)}")
        return override
    name = model.rsplit("/", 1)[-1].lower()
    return "max_completion_tokens" if name.startswith(REASONING_MODEL_PREFIXES) else "max_tokens"


def scorer_max_tokens(param: TokenLimitParam) -> int:
    """Room for a ``{"score": n}`` reply (and a reasoning model's thinking)."""
    return REASONING_SCORER_MAX_TOKENS if param == "max_completion_tokens" else SCORER_MAX_TOKENS
