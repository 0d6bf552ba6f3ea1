"""Draw the candidate responses of prompts from a world, vectorised over prompts.

The same functions serve the statistical simulator (one generator for many
prompts) and the HTTP simulator (one generator per prompt, seeded from the
prompt's text), so both describe the same world and the same truth.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np
from scipy.special import expit, log_softmax, ndtr

from cje.world.config import WorldConfig

JUDGE_GRID = 0.05


@dataclass(frozen=True)
class Candidates:
    """The candidate responses of ``n`` prompts; every array has shape (n, K).

    ``oracle_mean`` is the expected oracle label of each response, the quantity
    whose policy average is a policy's true value. ``oracle_center`` is the
    centre of the (clipped) normal the oracle's label is drawn from.
    """

    appeal: np.ndarray
    deceptive: np.ndarray
    judge_score: np.ndarray
    honest_judge_score: np.ndarray
    oracle_center: np.ndarray
    oracle_mean: np.ndarray
    logits: Mapping[str, np.ndarray]

    @property
    def n_prompts(self) -> int:
        return self.appeal.shape[0]


def draw_candidates(config: WorldConfig, rng: np.random.Generator, n_prompts: int) -> Candidates:
    """Draw ``n_prompts`` prompts' candidates. The draw order is fixed, so a seed
    always gives the same world."""
    k = config.n_candidates
    difficulty = rng.normal(config.difficulty_mean, config.difficulty_sd, size=(n_prompts, 1))
    deceptive = np.zeros(k, dtype=bool)
    deceptive[k - config.n_deceptive:] = True
    appeal = difficulty + rng.normal(0.0, config.quality_sd, size=(n_prompts, k))
    appeal = appeal + config.deceptive_quality_shift * deceptive
    judge_noise = rng.normal(0.0, config.judge_noise, size=(n_prompts, k))
    honest_view = config.judge_slope * appeal + judge_noise
    honest = _judge_scale(honest_view)
    # The prompt bias moves what the judge shows, never the oracle's truth.
    prompt_bias = config.judge_prompt_bias * (difficulty - config.difficulty_mean) / config.difficulty_sd
    shown = _judge_scale(honest_view + prompt_bias + config.judge_boost * deceptive)
    if config.constant_judge:
        shown = np.full_like(shown, 0.7)
    idiosyncrasy = rng.normal(0.0, config.oracle_idiosyncrasy, size=(n_prompts, k))
    center = np.clip(honest**config.oracle_exponent + idiosyncrasy, 0.0, 1.0)
    logits = _policy_logits(config, rng, appeal, deceptive)
    if config.blind_judge:
        # Drawn last, so every other draw of the world stays as it was.
        shown = _judge_scale(rng.normal(0.0, config.judge_slope, size=(n_prompts, k)))
    return Candidates(
        appeal=appeal,
        deceptive=np.broadcast_to(deceptive, (n_prompts, k)),
        judge_score=shown,
        honest_judge_score=honest,
        oracle_center=center,
        oracle_mean=expected_clipped_normal(center, config.oracle_noise),
        logits=MappingProxyType(logits),
    )


def _judge_scale(view: np.ndarray) -> np.ndarray:
    """The judge reports 0.1..1.0 on a 0.05 grid, generous at the low end."""
    raw = 0.1 + 0.9 * expit(view)
    return np.round(raw / JUDGE_GRID) * JUDGE_GRID


def _policy_logits(
    config: WorldConfig, rng: np.random.Generator, appeal: np.ndarray, deceptive: np.ndarray
) -> dict[str, np.ndarray]:
    noise: dict[str, np.ndarray] = {}
    raw: dict[str, np.ndarray] = {}
    centred = appeal - appeal.mean(axis=1, keepdims=True)
    for b in config.behaviours:
        own = rng.standard_normal(appeal.shape)
        if b.shares_noise_with is not None:
            rho = b.noise_correlation
            own = rho * noise[b.shares_noise_with] + np.sqrt(max(0.0, 1.0 - rho * rho)) * own
        noise[b.name] = own
        raw[b.name] = b.quality_slope * appeal + b.noise_sd * own + b.deceptive_bias * deceptive
        if b.quality_curvature:
            raw[b.name] = raw[b.name] - b.quality_curvature * centred**2
    logger = raw[config.logging_policy]
    # overlap stretches each target's distance from the logger, keeping clones exact.
    logits = {name: logger + config.overlap * (value - logger) for name, value in raw.items()}
    if config.logger_unsupported:
        # The logger's last ordinary candidates get a logit so low it never writes them
        # (probability ~1e-26: finite log-probs, as a real model would report).
        gap = np.zeros(appeal.shape[1], dtype=bool)
        first = appeal.shape[1] - int(deceptive.sum()) - config.logger_unsupported
        gap[first:first + config.logger_unsupported] = True
        logits[config.logging_policy] = np.where(gap, -40.0, logits[config.logging_policy])
    return logits


def log_policy(
    candidates: Candidates, config: WorldConfig, policy: str, temperature: float | None = None
) -> np.ndarray:
    """Log-probability of each candidate under ``policy`` at ``temperature``
    (the policy's own temperature when None); shape (n, K), rows sum to one."""
    behaviour = config.behaviour(policy)
    t = behaviour.temperature if temperature is None else temperature
    if t <= 0:
        raise ValueError("temperature must be positive for sampling probabilities")
    return log_softmax(candidates.logits[policy] / t, axis=1)


def sample_candidates(log_prob: np.ndarray, rng: np.random.Generator, draws: int = 1) -> np.ndarray:
    """Indices (n, draws) of candidates sampled from each row's distribution."""
    cdf = np.cumsum(np.exp(log_prob), axis=1)
    u = rng.random((log_prob.shape[0], draws)) * cdf[:, -1:]
    return (u[:, :, None] > cdf[:, None, :]).sum(axis=2)


def draw_oracle_labels(center: np.ndarray, config: WorldConfig, rng: np.random.Generator) -> np.ndarray:
    """One oracle label per response: its centre plus the oracle's own noise, clipped to [0, 1]."""
    return np.clip(center + rng.normal(0.0, config.oracle_noise, size=center.shape), 0.0, 1.0)


def expected_clipped_normal(mean: np.ndarray, sd: float) -> np.ndarray:
    """E[clip(X, 0, 1)] for X ~ Normal(mean, sd**2), exactly."""
    if sd == 0:
        return np.clip(mean, 0.0, 1.0)
    return mean - _expected_excess(mean - 1.0, sd) + _expected_excess(-mean, sd)


def _expected_excess(shift: np.ndarray, sd: float) -> np.ndarray:
    """E[(Y)+] for Y ~ Normal(shift, sd**2)."""
    z = shift / sd
    density = np.exp(-0.5 * z * z) / np.sqrt(2.0 * np.pi)
    return shift * ndtr(z) + sd * density
