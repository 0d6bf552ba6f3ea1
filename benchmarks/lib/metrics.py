"""Accuracy, interval and ranking metrics: pure functions over arrays.

Conventions: ``estimate``, ``truth``, ``low``, ``high`` are aligned arrays
(one entry per run and policy); ``oracle_noise_variance`` is the variance of
the truth itself when it is a finite oracle mean (zero for an exact truth).
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import combinations

import numpy as np

# The interval is a central 95% interval: the interval score's penalty for a
# miss is 2/alpha times the distance outside.
DEFAULT_ALPHA = 0.05


def oracle_noise_variance(truth: np.ndarray, n_oracle: np.ndarray) -> np.ndarray:
    """Variance of a truth that is a mean of ``n_oracle`` labels in [0, 1].

    ``min(p(1 - p), 0.25) / n_oracle`` (the published benchmark's bound: a
    variable on [0, 1] with mean p has variance at most p(1 - p)). An infinite
    or missing ``n_oracle`` (an exact truth) gives zero.
    """
    truth = np.asarray(truth, dtype=float)
    n_oracle = np.asarray(n_oracle, dtype=float)
    bound = np.minimum(truth * (1.0 - truth), 0.25)
    exact = ~np.isfinite(n_oracle) | (n_oracle <= 0)
    return np.where(exact, 0.0, bound / np.where(exact, 1.0, n_oracle))


def debiased_rmse(error: np.ndarray, noise_variance: np.ndarray | float = 0.0) -> float:
    """``sqrt(mean(max(0, error**2 - v)))``: RMSE with the truth's own noise removed.

    When the truth is a finite oracle mean, ``error**2`` overstates the squared
    error by the truth's variance ``v`` on average; subtracting it per run and
    clipping at zero follows the published benchmark (the clipping makes it a
    slight over-estimate, never an under-estimate). With ``v = 0`` this is the
    plain RMSE. NaN when there is no error to average.
    """
    error = np.asarray(error, dtype=float)
    if error.size == 0:
        return float("nan")
    excess = np.maximum(0.0, error**2 - np.broadcast_to(noise_variance, error.shape))
    return float(np.sqrt(excess.mean()))


def interval_score(low: np.ndarray, high: np.ndarray, truth: np.ndarray,
                   *, alpha: float = DEFAULT_ALPHA) -> np.ndarray:
    """Gneiting & Raftery (2007) interval score of central (1 - alpha) intervals.

    ``(high - low) + 2/alpha * (low - truth if truth < low) + 2/alpha * (truth
    - high if truth > high)``: width plus a penalty for missing; lower is
    better, and it rewards honest intervals over both narrow-and-wrong and
    wide-and-safe ones.
    """
    low, high, truth = (np.asarray(a, dtype=float) for a in (low, high, truth))
    below = np.maximum(0.0, low - truth)
    above = np.maximum(0.0, truth - high)
    return (high - low) + 2.0 / alpha * (below + above)


def _pair_signs(estimate: Sequence[float], truth: Sequence[float]) -> tuple[np.ndarray, np.ndarray]:
    """Sign of the estimated and true difference for every pair of policies
    whose true values differ (a tie in truth has no right order)."""
    estimate = np.asarray(estimate, dtype=float)
    truth = np.asarray(truth, dtype=float)
    if estimate.shape != truth.shape:
        raise ValueError(f"estimate has shape {estimate.shape}, truth {truth.shape}")
    pairs = [(i, j) for i, j in combinations(range(truth.size), 2) if truth[i] != truth[j]]
    if not pairs:
        return np.empty(0), np.empty(0)
    first, second = np.array(pairs).T
    return np.sign(estimate[first] - estimate[second]), np.sign(truth[first] - truth[second])


def pairwise_accuracy(estimate: Sequence[float], truth: Sequence[float]) -> float:
    """Share of policy pairs put in the true order; a tie in the estimates
    counts half. NaN with fewer than one orderable pair."""
    est_sign, true_sign = _pair_signs(estimate, truth)
    if true_sign.size == 0:
        return float("nan")
    agree = np.where(est_sign == 0, 0.5, (est_sign == true_sign).astype(float))
    return float(agree.mean())


def kendall_tau(estimate: Sequence[float], truth: Sequence[float]) -> float:
    """Kendall's tau over the orderable pairs: (concordant - discordant) / pairs.

    Ties in the estimates count as neither, so with no ties this equals
    ``2 * pairwise_accuracy - 1``.
    """
    est_sign, true_sign = _pair_signs(estimate, truth)
    if true_sign.size == 0:
        return float("nan")
    return float(np.mean(est_sign * true_sign))


def top1_correct(estimate: Sequence[float], truth: Sequence[float]) -> float:
    """1.0 if the policy with the highest estimate is the truly best one, else 0.0.

    A tie for the top in the estimates counts as wrong (no single pick); NaN if
    the truth itself has a tie at the top.
    """
    estimate = np.asarray(estimate, dtype=float)
    truth = np.asarray(truth, dtype=float)
    if truth.size == 0 or np.sum(truth == truth.max()) > 1:
        return float("nan")
    if np.sum(estimate == estimate.max()) > 1:
        return 0.0
    return float(np.argmax(estimate) == np.argmax(truth))
