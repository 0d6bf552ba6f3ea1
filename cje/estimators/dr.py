"""Doubly robust estimation with fresh draws (DR-CPO and its calibrated variant).

For each analysed prompt ``i``: the outcome model's mean prediction over the
policy's fresh draws of that prompt, plus a correction from the labelled logged
rows: the weight-normalised mean of ``w * (outcome - out-of-fold prediction)``.
With uniform weights this is the residual-corrected direct method; with the
importance weights it also removes the outcome model's bias *under the target
policy*, not only under the logger. Residuals use real outcomes (oracle labels
or precomputed rewards), never the calibrated reward: a residual of the
calibrator against itself is zero by construction and would make every DR
variant collapse to the direct method.
"""

from __future__ import annotations

import numpy as np

from cje.estimators.result import Correction, Estimate, estimate_from_influence


def cluster_means(value: np.ndarray, cluster: np.ndarray, n_clusters: int) -> np.ndarray:
    """Mean of ``value`` within each cluster (every cluster must have a row)."""
    totals = np.bincount(cluster, weights=value, minlength=n_clusters)
    counts = np.bincount(cluster, minlength=n_clusters)
    return totals / counts


def weighted_correction(
    weight: np.ndarray, residual: np.ndarray, *, n_clusters: int, labelled: np.ndarray
) -> tuple[Correction, np.ndarray]:
    """The Hajek-normalised weighted residual mean and its per-prompt influence
    (expressed as a mean over all ``n_clusters`` prompts)."""
    w = weight[labelled]
    r = residual[labelled]
    n_labels = int(labelled.sum())
    normalised = w / w.mean()
    value = float(np.sum(normalised * r) / n_labels)
    per_label = normalised * (r - value)
    se = float(np.sqrt(np.var(per_label, ddof=1) / n_labels)) if n_labels > 1 else float("nan")
    influence = np.zeros(n_clusters)
    influence[labelled] = per_label * (n_clusters / n_labels)
    return Correction(value=value, se=se, n_labels=n_labels), influence


def doubly_robust(
    *,
    fresh_prediction: np.ndarray,
    fresh_cluster: np.ndarray,
    weight: np.ndarray,
    outcome: np.ndarray,
    outcome_prediction: np.ndarray,
    outcome_mask: np.ndarray,
    policy: str,
    estimator: str,
    include_label_influence: bool,
) -> Estimate:
    """DR estimate over ``n`` prompts (arrays of logged rows have length ``n``;
    fresh arrays index those prompts through ``fresh_cluster``).

    SE: cluster-robust influence of the direct part; the correction's influence
    is added when ``include_label_influence`` (outcomes not calibrated).
    Otherwise the correction and the outcome model's error are left to the
    oracle jackknife, which refits the model and reruns this function; the
    fresh draws' Monte-Carlo variance is inside the direct part's influence
    exactly once.
    """
    n = weight.size
    direct_part = cluster_means(fresh_prediction, fresh_cluster, n)
    residual = np.where(outcome_mask, outcome - outcome_prediction, 0.0)
    correction, correction_influence = weighted_correction(weight, residual, n_clusters=n, labelled=outcome_mask)
    value = direct_part.mean() + correction.value
    influence = direct_part - direct_part.mean()
    if include_label_influence:
        influence = influence + correction_influence
    return estimate_from_influence(estimator, policy, value, influence, correction=correction)
