"""Which responses get an oracle label.

The oracle is expensive, so it labels a seeded subset chosen by ``prompt_id``:
``oracle_fraction`` of the logging policy's responses (the calibration slice)
and ``probe_fraction`` of each target policy's (a probe slice, which the
analysis uses to check that the judge-to-oracle map transports). A prompt is
in the slice when ``blake2b(seed, prompt_id)`` maps below the fraction, so
slices are nested (a smaller fraction picks a subset of a larger one) and the
same prompts are probed under every target policy.
"""

from __future__ import annotations

from cje.pipeline.hashing import stable_uniform
from cje.pipeline.settings import RunSettings


def oracle_fraction_for(policy: str, *, logging_policy: str, settings: RunSettings) -> float:
    return settings.oracle_fraction if policy == logging_policy else settings.probe_fraction


def in_oracle_slice(prompt_id: str, fraction: float, *, seed: int) -> bool:
    """Whether the oracle labels this prompt's response at this ``fraction``."""
    return stable_uniform("oracle-slice", seed, prompt_id) < fraction
