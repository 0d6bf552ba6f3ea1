"""Prompt-cluster bootstrap for the direct estimator, refitting the calibrator.

Each replicate draws prompts with replacement (as multiplicities, not copies),
refits the cross-fitted judge -> outcome map on the drawn labelled rows, and
recomputes the residual-corrected direct estimate on the drawn fresh draws.
It therefore covers prompt sampling and calibration uncertainty together.
When the policy's own fresh draws carry oracle labels, the residual term is
their mean residual against the refitted map, as in the point estimate.
"""

from __future__ import annotations

import numpy as np

from cje.calibration.isotonic import ScoreLevels, cross_fit_isotonic


def cluster_bootstrap_direct(
    *,
    fresh_judge: np.ndarray | ScoreLevels,
    fresh_cluster: np.ndarray,
    judge_score: np.ndarray | ScoreLevels,
    outcome: np.ndarray,
    fold: np.ndarray,
    logged_cluster: np.ndarray,
    n_clusters: int,
    n_boot: int,
    rng: np.random.Generator,
    own_labels: np.ndarray | None = None,
) -> np.ndarray:
    """Bootstrap replicates of the direct estimate.

    ``judge_score``, ``outcome``, ``fold`` and ``logged_cluster`` describe the
    labelled logged rows only. ``own_labels`` (aligned with the fresh draws,
    NaN where unlabelled) switches the residual term to the policy's own
    labelled draws. Replicates in which a fold's complement drew no labelled
    row cannot refit the map and are skipped (vanishingly rare above the
    minimum label count).
    """
    own = None if own_labels is None else np.isfinite(own_labels)
    labels = np.empty(0) if own_labels is None else own_labels
    replicates = []
    for _ in range(n_boot):
        multiplicity = rng.multinomial(n_clusters, np.full(n_clusters, 1.0 / n_clusters))
        fresh_w = multiplicity[fresh_cluster].astype(float)
        label_w = multiplicity[logged_cluster].astype(float)
        if fresh_w.sum() == 0 or not _every_fold_trainable(label_w, fold):
            continue
        fit = cross_fit_isotonic(judge_score, outcome, fold, weight=label_w)
        fresh_prediction = fit.full.predict(fresh_judge)
        fresh_part = np.sum(fresh_w * fresh_prediction) / fresh_w.sum()
        if own is None:
            residual_part = np.sum(label_w * (outcome - fit.out_of_fold)) / label_w.sum()
        else:
            own_w = fresh_w[own]
            if own_w.sum() == 0:
                continue
            residual_part = np.sum(own_w * (labels[own] - fresh_prediction[own])) / own_w.sum()
        replicates.append(fresh_part + residual_part)
    return np.asarray(replicates)


def _every_fold_trainable(weight: np.ndarray, fold: np.ndarray) -> bool:
    total = weight.sum()
    if total == 0:
        return False
    for k in np.unique(fold):
        if weight[fold != k].sum() == 0 and np.unique(fold).size > 1:
            return False
    return True
