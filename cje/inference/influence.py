"""Influence values and the standard errors they give.

Convention: an estimator returns one influence value per prompt (cluster),
``phi``, such that ``estimate - truth ~ mean(phi)``. Rows that share a prompt
are summed into that prompt's value first, which makes the standard error
cluster-robust.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def mean_term_influence(
    value: np.ndarray, cluster: np.ndarray, n_clusters: int
) -> np.ndarray:
    """Per-cluster influence of a plain mean of ``value`` over its rows.

    For ``V = mean(value)`` over ``m`` rows spread over ``n_clusters`` prompts,
    prompt ``c`` contributes ``(n_clusters / m) * sum_{rows in c}(value - V)``.
    """
    value = np.asarray(value, dtype=float)
    if value.size == 0:
        return np.zeros(n_clusters)
    centred = value - value.mean()
    summed = np.bincount(cluster, weights=centred, minlength=n_clusters)
    return summed * (n_clusters / value.size)


def prompt_mean_influence(
    value: np.ndarray, cluster: np.ndarray, n_clusters: int
) -> tuple[float, np.ndarray]:
    """The mean over prompts of each prompt's mean ``value``, and its
    per-cluster influence.

    Every prompt with rows counts once whatever its number of rows (the
    estimand is an average over prompts); clusters without rows have zero
    influence. With ``P`` prompts present, prompt ``c`` contributes
    ``(n_clusters / P) * (mean_c - V)``.
    """
    value = np.asarray(value, dtype=float)
    totals = np.bincount(cluster, weights=value, minlength=n_clusters)
    counts = np.bincount(cluster, minlength=n_clusters)
    present = counts > 0
    n_present = int(present.sum())
    if n_present == 0:
        return float("nan"), np.zeros(n_clusters)
    means = np.zeros(n_clusters)
    means[present] = totals[present] / counts[present]
    overall = float(means[present].mean())
    influence = np.where(present, (means - overall) * (n_clusters / n_present), 0.0)
    return overall, influence


def combine_terms(terms: Sequence[np.ndarray]) -> np.ndarray:
    """Influence of a sum of estimators over the same clusters."""
    return np.sum(np.vstack(terms), axis=0)


def influence_se(influence: np.ndarray) -> float:
    """Standard error of the mean implied by per-cluster influence values."""
    n = influence.size
    if n < 2:
        return float("nan")
    return float(np.sqrt(np.var(influence, ddof=1) / n))


def jackknife_variance(replicates: np.ndarray) -> float:
    """Delete-one-group jackknife variance: (J-1)/J times the *sum* of squared
    deviations of the J leave-one-group-out estimates from their mean."""
    replicates = np.asarray(replicates, dtype=float)
    j = replicates.size
    if j < 2:
        return 0.0
    return float((j - 1) / j * np.sum((replicates - replicates.mean()) ** 2))
