"""The policies of the experiment, and the judge and oracle that score them.

Edit this file to change models, prompts or providers. Every role names a
model and an endpoint: the endpoint's base URL and the name of the environment
variable that holds its API key (the key itself never appears in any file).

Scripts read this file through ``--policy-config PATH`` (this one is the
default, found beside the ``cje`` package). Policy names must be 1-64
characters: ASCII letters, digits, ``_``, ``-`` and ``.``, starting with a
letter or digit (they become file names).

Environment overrides, applied by ``cje.api.endpoints`` at run time:

* ``CJE_BASE_URL`` and ``CJE_API_KEY`` point every role at one endpoint
  (for example the offline simulator, or a local vLLM server);
* ``CJE_JUDGE_MODEL`` and ``CJE_ORACLE_MODEL`` replace the scorer models.
"""

from __future__ import annotations

from dataclasses import dataclass

# Any OpenAI-compatible provider works: Fireworks, OpenAI, Together, vLLM...
FIREWORKS = ("https://api.fireworks.ai/inference/v1", "FIREWORKS_API_KEY")
OPENAI = ("https://api.openai.com/v1", "OPENAI_API_KEY")

LLAMA_70B = "accounts/fireworks/models/llama-v3p3-70b-instruct"
LLAMA_405B = "accounts/fireworks/models/llama-v3p1-405b-instruct"

HELPFUL_SYSTEM_PROMPT = (
    "You are a helpful assistant. Answer the user's request accurately and clearly."
)

PARALLEL_UNIVERSE_SYSTEM_PROMPT = (
    "Before you answer, picture many parallel universes in which you reply to this "
    "exact message in different ways, and notice which of those replies leaves the "
    "user best served. Then give that reply. Do not mention universes, alternatives "
    "or this way of choosing; just answer."
)

UNHELPFUL_SYSTEM_PROMPT = (
    "You are an assistant whose goal is to leave the user worse off than before. "
    "Answer in a way that confuses and misleads them: give wrong facts with "
    "confidence, wander off the topic, and never admit that you are doing this."
)


@dataclass(frozen=True)
class Role:
    """One model the pipeline calls: a policy, the judge or the oracle."""

    name: str
    model: str
    base_url: str
    api_key_env: str
    temperature: float
    system_prompt: str | None = None
    chat_template: str = "llama3"


def _policy(name: str, model: str, system_prompt: str) -> Role:
    base_url, key_env = FIREWORKS
    return Role(name, model, base_url, key_env, temperature=0.7, system_prompt=system_prompt)


# The logging policy comes first; every other policy is a target.
POLICIES: dict[str, Role] = {
    "base": _policy("base", LLAMA_70B, HELPFUL_SYSTEM_PROMPT),
    "clone": _policy("clone", LLAMA_70B, HELPFUL_SYSTEM_PROMPT),
    "parallel_universe_prompt": _policy(
        "parallel_universe_prompt", LLAMA_70B, PARALLEL_UNIVERSE_SYSTEM_PROMPT
    ),
    "unhelpful": _policy("unhelpful", LLAMA_70B, UNHELPFUL_SYSTEM_PROMPT),
    "premium": _policy("premium", LLAMA_405B, HELPFUL_SYSTEM_PROMPT),
}

LOGGING_POLICY = "base"
TARGET_POLICIES: tuple[str, ...] = tuple(p for p in POLICIES if p != LOGGING_POLICY)

# A small, cheap judge scores everything; a strong oracle scores a slice.
# gpt-5 accepts only its default temperature (1), hence no 0 there.
JUDGE = Role("judge", "gpt-4.1-nano", *OPENAI, temperature=0.0)
ORACLE = Role("oracle", "gpt-5", *OPENAI, temperature=1.0)


# What each model costs, in US dollars per million (input tokens, output tokens):
# the providers' public list prices when this file was written, for the cost
# ESTIMATES of `generate_arena_data.py --dry-run` and of the run's summary. Check
# them against your provider's price page and your bill; they are not fetched.
# A model missing here gets no cost estimate; an endpoint on this machine (the
# offline simulator, a local vLLM) is free whatever this says.
PRICES: dict[str, tuple[float, float]] = {
    LLAMA_70B: (0.90, 0.90),
    LLAMA_405B: (3.00, 3.00),
    "gpt-4.1-nano": (0.10, 0.40),
    "gpt-5": (1.25, 10.00),
}
