"""Stacked DR: the minimum-variance convex combination of DR estimates.

The components' joint variance is their influence covariance over prompts
divided by n plus, when rewards were calibrated, the covariance of their
jackknife replicates. The simplex-constrained minimiser is found exactly, by
checking every support set (there are at most a handful of components).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from itertools import combinations

import numpy as np

from cje.estimators.result import Estimate
from cje.inference.influence import influence_se, jackknife_variance


def joint_covariance(components: Sequence[Estimate]) -> np.ndarray:
    influence = np.vstack([c.influence for c in components])
    n = influence.shape[1]
    covariance = np.cov(influence, ddof=1) / n
    replicates = [c.replicates for c in components if c.replicates is not None]
    if len(replicates) == len(components):
        matrix = np.vstack(replicates)
        j = matrix.shape[1]
        centred = matrix - matrix.mean(axis=1, keepdims=True)
        covariance = covariance + (j - 1) / j * centred @ centred.T
    return np.atleast_2d(covariance)


def simplex_min_variance(covariance: np.ndarray) -> np.ndarray:
    """argmin a' S a subject to a >= 0, sum(a) = 1."""
    k = covariance.shape[0]
    ridge = 1e-12 * max(np.trace(covariance), 1e-300)
    best, best_value = np.eye(k)[0], np.inf
    for size in range(1, k + 1):
        for support in combinations(range(k), size):
            sub = covariance[np.ix_(support, support)] + ridge * np.eye(size)
            direction = np.linalg.lstsq(sub, np.ones(size), rcond=None)[0]
            if direction.sum() <= 0:
                continue
            alpha = direction / direction.sum()
            if (alpha < -1e-12).any():
                continue
            full = np.zeros(k)
            full[list(support)] = np.clip(alpha, 0, None)
            full /= full.sum()
            value = float(full @ covariance @ full)
            if value < best_value - 1e-18:
                best, best_value = full, value
    return best


def stack(components: Sequence[Estimate], *, policy: str) -> Estimate:
    """Combine DR estimates of one policy over the same prompts.

    SE: influence function of the combination plus, when every component has
    jackknife replicates, the jackknife variance of the combined replicates;
    never below the smallest component SE. The weights minimise a variance
    estimated from the same data (the jackknife part from only a handful of
    folds), so a combined variance below every component's is mostly that
    estimate's noise; the floor keeps the interval from inheriting it.
    """
    if len({c.n for c in components}) != 1:
        raise ValueError("stacked components must share their prompts")
    alpha = simplex_min_variance(joint_covariance(components))
    influence = sum(a * c.influence for a, c in zip(alpha, components))
    value = float(sum(a * c.value for a, c in zip(alpha, components)))
    replicates = None
    se_calibration = 0.0
    component_replicates = [c.replicates for c in components if c.replicates is not None]
    if len(component_replicates) == len(components):
        replicates = np.vstack(component_replicates).T @ alpha
        se_calibration = float(np.sqrt(jackknife_variance(replicates)))
    floor = min(c.se for c in components)
    combined = float(np.hypot(influence_se(influence), se_calibration))
    scale = floor / combined if 0 < combined < floor else 1.0
    spread = max(c.value for c in components) - min(c.value for c in components)
    notes: tuple[str, ...] = ()
    if spread < 1e-3:
        notes = (f"the DR components agree within {spread:.1e}: stacking adds nothing here",)
    return replace(
        components[0],
        estimator="stacked-dr",
        value=value,
        influence=influence,
        se_sampling=scale * influence_se(influence),
        se_calibration=scale * se_calibration,
        replicates=replicates,
        correction=None,
        stack_weights=tuple((c.estimator, float(a)) for a, c in zip(alpha, components)),
        notes=notes,
    )
