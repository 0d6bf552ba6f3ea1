"""Direct estimators: the target policy's own fresh responses, scored.

Every direct estimate averages over prompts (each prompt's fresh draws are
averaged first), the same estimand as the doubly robust estimators.

``naive_direct`` averages raw judge scores: cheap, and biased by however far
the judge's scale sits from the oracle's. ``direct`` averages the calibrated
reward of the fresh draws and adds the out-of-fold residual (oracle minus
calibrated prediction) of the logger's labelled rows, which removes the
calibrator's average bias on the logger's responses; it assumes the
calibration transports to the target policy. ``direct_with_own_labels`` uses
oracle labels on some of the policy's own fresh draws instead
(prediction-powered inference with a power-tuned weight): unbiased whatever
the calibration, and as precise as the calibration allows.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from cje.estimators.result import Estimate, estimate_from_influence
from cje.inference.influence import influence_se, mean_term_influence, prompt_mean_influence
from cje.inference.intervals import satterthwaite_df


def naive_direct(
    fresh_judge_score: np.ndarray, *, fresh_cluster: np.ndarray, n_clusters: int, policy: str
) -> Estimate:
    """Mean over prompts of the fresh draws' raw judge scores.

    SE: cluster-robust (by prompt) influence of that mean; nothing else, since
    nothing was calibrated. The bias toward the judge's scale is not in it.
    """
    value, influence = prompt_mean_influence(fresh_judge_score, fresh_cluster, n_clusters)
    return estimate_from_influence("naive-direct", policy, value, influence)


def direct(
    fresh_prediction: np.ndarray,
    *,
    fresh_cluster: np.ndarray,
    residual: np.ndarray,
    residual_cluster: np.ndarray,
    n_clusters: int,
    policy: str,
    include_label_influence: bool,
) -> Estimate:
    """Mean over prompts of the calibrated reward, plus the mean labelled residual.

    ``residual`` is outcome minus prediction on the labelled rows used for the
    correction. Clusters index the union of prompts seen in either term.

    SE: cluster-robust influence of the fresh-draw mean. When
    ``include_label_influence`` (no oracle jackknife follows) the residual
    mean's influence is added too; otherwise the residual term and the
    calibrator's own error are left to the oracle jackknife, which refits both.
    """
    fresh_value, influence = prompt_mean_influence(fresh_prediction, fresh_cluster, n_clusters)
    if include_label_influence:
        influence = influence + mean_term_influence(residual, residual_cluster, n_clusters)
    value = fresh_value + (residual.mean() if residual.size else 0.0)
    return estimate_from_influence("direct", policy, value, influence)


def power_tuning(prediction: np.ndarray, labelled_prediction: np.ndarray, label: np.ndarray) -> float:
    """The weight ``lambda`` in [0, 1] on the calibrated prediction that
    minimises the variance of the prediction-powered mean.

    The labelled draws are a subset of the fresh draws, so the optimum is the
    slope of the label on the prediction, Cov(label, prediction) / Var(prediction)
    (the variance from the whole fresh set, the steadier estimate). With fewer
    than three labels the covariance is not estimable and ``lambda`` is 1, the
    plain prediction-powered estimate.
    """
    variance = float(np.var(prediction, ddof=1)) if prediction.size > 1 else 0.0
    if variance <= 0:
        return 0.0
    if label.size < 3:
        return 1.0
    covariance = float(np.cov(label, labelled_prediction, ddof=1)[0, 1])
    return float(np.clip(covariance / variance, 0.0, 1.0))


def direct_with_own_labels(
    fresh_prediction: np.ndarray,
    *,
    fresh_cluster: np.ndarray,
    own_label: np.ndarray,
    n_clusters: int,
    policy: str,
) -> Estimate:
    """Prediction-powered estimate from the policy's own labelled fresh draws.

    ``own_label`` is aligned with the fresh draws (NaN where unlabelled). The
    estimate is ``lambda * A + mean_labelled(label - lambda * prediction)``,
    ``A`` the mean over prompts of the predictions. It is unbiased for any
    fixed ``lambda`` when the labelled draws are a random subset of the fresh
    draws, so a judge that misreads the policy costs precision, not validity.

    SE: cluster-robust influence of both parts. Its degrees of freedom combine
    the prediction part's (prompts - 1) with the labels' (labels - 1) by
    Welch-Satterthwaite: with ten labels the interval must use a t quantile
    with about nine degrees of freedom, not a normal one. No calibration
    variance is added: given the calibration, the estimate is unbiased.
    """
    labelled = np.isfinite(own_label)
    n_labels = int(labelled.sum())
    lam = power_tuning(fresh_prediction, fresh_prediction[labelled], own_label[labelled])
    prediction_mean, prediction_influence = prompt_mean_influence(fresh_prediction, fresh_cluster, n_clusters)
    rectifier = own_label[labelled] - lam * fresh_prediction[labelled]
    rectifier_influence = mean_term_influence(rectifier, fresh_cluster[labelled], n_clusters)
    value = lam * prediction_mean + float(rectifier.mean())
    prediction_part = lam * prediction_influence
    df = satterthwaite_df(influence_se(prediction_part) ** 2, max(n_clusters - 1, 1),
                          influence_se(rectifier_influence) ** 2, max(n_labels - 1, 1))
    estimate = estimate_from_influence("direct", policy, value, prediction_part + rectifier_influence,
                                       df_sampling=df, own_labels=n_labels)
    note = (f"prediction-powered correction from {n_labels} oracle labels on this policy's own responses "
            f"(weight on the calibrated prediction {lam:.2f})")
    return _with_note(estimate, note)


def _with_note(estimate: Estimate, note: str) -> Estimate:
    return replace(estimate, notes=(*estimate.notes, note))
