"""Per-model request details that providers disagree on.

OpenAI's reasoning models (gpt-5, o1, o3, o4...) reject ``max_tokens`` and
want ``max_completion_tokens``, which also has to leave room for hidden
reasoning tokens. The parameter is chosen from the model name; set
``CJE_<ROLE>_TOKEN_LIMIT_PARAM`` (for example ``CJE_ORACLE_TOKEN_LIMIT_PARAM``)
to ``max_tokens`` or ``max_completion_tokens`` to override it for one role.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Literal

from cje.api.endpoints import MODEL_OVERRIDE_ENV, Role
from cje.pipeline.errors import PipelineError

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
