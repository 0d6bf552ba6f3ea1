"""A world whose judge likes long responses and whose policies differ in length.

The judge sees ``judge_bias`` more per standard deviation of a response's log
length; the oracle does not. ``premium`` prefers long responses and
``parallel_universe_prompt`` short ones, so a judge -> oracle map of the
judge score alone, learned on the logger (indifferent to length), flatters
premium and under-rates parallel_universe_prompt: with the defaults it reverses
their true order. Given the judge score *and* the length, the oracle's
expectation is the same under every policy, which is what covariate-aware
calibration (``--calibration-covariates response_length``) relies on.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from types import MappingProxyType

from cje.world.config import WorldConfig, default_behaviours

DEFAULT_PREFERENCES: Mapping[str, float] = MappingProxyType({"premium": 1.0, "parallel_universe_prompt": -1.0})


def length_biased_world(*, judge_bias: float = 0.5,
                        preferences: Mapping[str, float] = DEFAULT_PREFERENCES) -> WorldConfig:
    """The default world with a verbosity-biased judge and length-preferring policies."""
    unknown = set(preferences) - {b.name for b in default_behaviours()}
    if unknown:
        raise ValueError(f"no policy named {sorted(unknown)} in the default world")
    behaviours = tuple(replace(b, length_preference=preferences.get(b.name, 0.0)) for b in default_behaviours())
    return WorldConfig(length_bias=judge_bias, behaviours=behaviours)
