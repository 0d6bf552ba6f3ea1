"""Stacked DR: a convex combination of DR estimates, weights chosen out of fold.

The components' joint variance is their influence covariance over prompts
divided by n plus, when rewards were calibrated, the covariance of their
jackknife replicates. Weights that minimise a variance estimated from the
same data lean on whichever component's variance happens to be
underestimated, and the combined SE then inherits that error. So the weights
are cross-fitted: for each prompt fold, the simplex-constrained minimiser is
computed from the other folds' influence values, and each prompt's combined
influence uses the weights its own fold did not choose. (Components whose
variance is systematically underestimated, such as raw-weight DR with heavy
tails, are left out before stacking by their gates.)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from itertools import combinations

import numpy as np

from cje.estimators.result import Estimate
from cje.inference.influence import influence_se, jackknife_variance


def replicate_covariance(components: Sequence[Estimate]) -> np.ndarray | None:
    """Jackknife covariance of the components' replicates (None unless every
    component has replicates)."""
    replicates = [c.replicates for c in components if c.replicates is not None]
    if len(replicates) != len(components):
        return None
    matrix = np.vstack(replicates)
    j = matrix.shape[1]
    centred = matrix - matrix.mean(axis=1, keepdims=True)
    return np.atleast_2d((j - 1) / j * centred @ centred.T)


def joint_covariance(components: Sequence[Estimate], rows: np.ndarray | None = None) -> np.ndarray:
    """Covariance of the component estimates from the influence values of
    ``rows`` (all when None), plus the replicates' covariance."""
    influence = np.vstack([c.influence for c in components])
    if rows is not None:
        influence = influence[:, rows]
    covariance = np.atleast_2d(np.cov(influence, ddof=1)) / influence.shape[1]
    calibration = replicate_covariance(components)
    return covariance if calibration is None else covariance + calibration


def simplex_min_variance(covariance: np.ndarray) -> np.ndarray:
    """argmin a' S a subject to a >= 0, sum(a) = 1."""
    k = covariance.shape[0]
    ridge = 1e-12 * max(float(np.trace(covariance)), 1e-300)
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


def cross_fitted_weights(components: Sequence[Estimate], fold: np.ndarray) -> np.ndarray:
    """One row of simplex weights per fold, each chosen without that fold."""
    folds = np.unique(fold)
    weights = np.zeros((int(folds.max()) + 1, len(components)))
    for k in folds:
        train = fold != k
        if train.sum() < 2:
            weights[k] = simplex_min_variance(joint_covariance(components))
        else:
            weights[k] = simplex_min_variance(joint_covariance(components, np.flatnonzero(train)))
    return weights


def stack(components: Sequence[Estimate], *, fold: np.ndarray) -> Estimate:
    """Combine DR estimates of one policy over the same prompts.

    ``fold`` assigns each influence position (prompt) to a cross-fitting fold.
    The value is the fold-size-weighted average of the per-fold combinations.
    SE: each prompt's influence combined with the weights chosen without its
    fold, plus the jackknife variance of the replicates combined with the
    average weights; never below the smallest component SE (a combined
    variance below every component's is mostly the weights' own noise).
    """
    if len({c.n for c in components}) != 1 or fold.size != components[0].n:
        raise ValueError("stacked components must share their prompts, and each prompt needs a fold")
    per_fold = cross_fitted_weights(components, fold)
    alpha_by_prompt = per_fold[fold]
    influence_matrix = np.vstack([c.influence for c in components]).T
    influence = np.sum(alpha_by_prompt * influence_matrix, axis=1)
    alpha = alpha_by_prompt.mean(axis=0)
    value = float(alpha @ np.array([c.value for c in components]))
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
    if len(components) > 1 and spread < 1e-3:
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
        df_sampling=None,
        own_labels=0,
    )
