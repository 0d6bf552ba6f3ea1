"""TMLE: a targeted update of the outcome model, applied everywhere it is used.

Starting from the outcome model's predictions ``Q``, one fluctuation
``logit Q* = logit Q + eps`` is fitted by weighted quasi-binomial likelihood on
the labelled logged rows (weights: the importance weights, the clever
covariate), which solves ``sum w (Y - Q*) = 0``. The same ``eps`` then moves the
predictions on the fresh draws, and the estimate is their mean. Updating only
the logged rows would leave the fresh-draw mean, hence the estimate, equal to
the direct method's.
"""

from __future__ import annotations

import numpy as np
from scipy.special import expit, logit

from cje.errors import EstimationError
from cje.estimators.dr import cluster_means, weighted_correction
from cje.estimators.result import Estimate, estimate_from_influence

BOUND = 1e-4


def fit_fluctuation(
    logit_prediction: np.ndarray, outcome: np.ndarray, weight: np.ndarray, *, tol: float = 1e-12
) -> float:
    """Solve ``sum w (y - expit(l + eps)) = 0`` for ``eps`` (monotone in eps:
    Newton steps, safeguarded by bisection)."""
    def score(eps: float) -> float:
        return float(np.sum(weight * (outcome - expit(logit_prediction + eps))))

    low, high = -30.0, 30.0
    if score(low) < 0 or score(high) > 0:
        raise EstimationError("TMLE fluctuation has no root: outcomes sit outside the predictions' range")
    eps = 0.0
    for _ in range(100):
        value = score(eps)
        if abs(value) < tol * max(1.0, weight.sum()):
            return eps
        if value > 0:
            low = eps
        else:
            high = eps
        p = expit(logit_prediction + eps)
        slope = float(np.sum(weight * p * (1 - p)))
        step = eps + value / slope if slope > 0 else (low + high) / 2
        eps = step if low < step < high else (low + high) / 2
    return eps


def tmle(
    *,
    fresh_prediction: np.ndarray,
    fresh_cluster: np.ndarray,
    weight: np.ndarray,
    outcome: np.ndarray,
    outcome_prediction: np.ndarray,
    outcome_mask: np.ndarray,
    policy: str,
    include_label_influence: bool,
) -> Estimate:
    """Targeted estimate over ``n`` prompts; arrays as in ``doubly_robust``.

    SE: cluster-robust influence of the targeted fresh-draw mean; the labelled
    residuals' influence is added when ``include_label_influence``, otherwise
    the oracle jackknife (which refits and retargets) covers them.
    """
    n = weight.size
    logged_logit = logit(np.clip(outcome_prediction[outcome_mask], BOUND, 1 - BOUND))
    eps = fit_fluctuation(logged_logit, outcome[outcome_mask], weight[outcome_mask])
    fresh_targeted = expit(logit(np.clip(fresh_prediction, BOUND, 1 - BOUND)) + eps)
    direct_part = cluster_means(fresh_targeted, fresh_cluster, n)
    initial_residual = np.where(outcome_mask, outcome - outcome_prediction, 0.0)
    # What the targeting had to correct: the same orthogonality check as DR's.
    check, _ = weighted_correction(weight, initial_residual, n_clusters=n, labelled=outcome_mask)
    influence = direct_part - direct_part.mean()
    if include_label_influence:
        targeted = np.zeros(n)
        targeted[outcome_mask] = expit(logged_logit + eps)
        residual = np.where(outcome_mask, outcome - targeted, 0.0)
        _, correction_influence = weighted_correction(weight, residual, n_clusters=n, labelled=outcome_mask)
        influence = influence + correction_influence
    return estimate_from_influence("tmle", policy, direct_part.mean(), influence, correction=check)
