"""Importance weights: from log-probabilities, and calibrated to the judge score.

Weights are formed in log space: ``log_weight - max(log_weight)`` is
exponentiated, so a ratio of two tiny probabilities never under- or overflows,
and then scaled to mean one.

Judge-indexed monotone calibration replaces each raw weight by an estimate of
its conditional mean given the judge score. When the reward is a function of
the judge score that keeps IPS unbiased while removing the part of the weight
variance the score cannot explain (for example the noise of a provider's
log-probabilities). Two candidates, increasing and decreasing isotonic fits of
weight on score, are fitted out of fold and scaled to mean one; the convex blend
of the two that minimises the variance of the out-of-fold residual
``w - blend`` is kept (the blend that best tracks the weights' conditional mean:
choosing the blend with the smallest variance of its own would always pick the
flattest candidate, which is the logging policy's weights and biases IPS toward
the logger's value); and if its variance exceeds ``variance_cap`` times that of
the raw weights it is shrunk toward uniform weights until it does not.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from cje.calibration.isotonic import ScoreLevels, cross_fit_isotonic


def weights_from_log(log_weight: np.ndarray) -> np.ndarray:
    """Mean-one importance weights from log-ratios, computed stably."""
    log_weight = np.asarray(log_weight, dtype=float)
    shifted = np.exp(log_weight - log_weight.max())
    return shifted / shifted.mean()


@dataclass(frozen=True)
class CalibratedWeights:
    """Mean-one calibrated weights and how they were formed.

    ``increasing_share`` is the blend's weight on the increasing candidate;
    ``shrinkage`` is 1 when the variance cap did not bind, less when the weights
    were pulled toward one to meet it.
    """

    weight: np.ndarray = field(repr=False)
    increasing_share: float
    shrinkage: float


def calibrate_weights(
    weight: np.ndarray,
    judge_score: np.ndarray | ScoreLevels,
    fold: np.ndarray,
    *,
    variance_cap: float = 1.0,
) -> CalibratedWeights:
    """Judge-indexed monotone calibration of mean-one ``weight``."""
    candidates = []
    for increasing in (True, False):
        fit = cross_fit_isotonic(judge_score, weight, fold, increasing=increasing)
        candidate = np.maximum(fit.out_of_fold, 0.0)
        candidates.append(candidate / candidate.mean() if candidate.mean() > 0 else np.ones_like(weight))
    up, down = candidates
    # Var(w - (t*up + (1-t)*down)) = Var((w - down) - t*(up - down))
    share = _best_blend(up - down, weight - down)
    blended = share * up + (1.0 - share) * down
    shrinkage = _variance_shrinkage(blended, weight, variance_cap)
    calibrated = 1.0 + shrinkage * (blended - 1.0)
    return CalibratedWeights(weight=calibrated, increasing_share=share, shrinkage=shrinkage)


def _best_blend(direction: np.ndarray, target: np.ndarray) -> float:
    """The ``t`` in [0, 1] minimising Var(target - t * direction)."""
    d = direction - direction.mean()
    denominator = float(np.mean(d * d))
    if denominator <= 1e-18:
        return 1.0
    t = float(np.mean(d * (target - target.mean()))) / denominator
    return float(np.clip(t, 0.0, 1.0))


def _variance_shrinkage(candidate: np.ndarray, raw: np.ndarray, cap: float) -> float:
    """Largest ``s`` in [0, 1] with Var(1 + s * (candidate - 1)) <= cap * Var(raw)."""
    limit = cap * float(np.var(raw))
    variance = float(np.var(candidate))
    if variance <= limit or variance == 0.0:
        return 1.0
    return float(np.sqrt(limit / variance))
