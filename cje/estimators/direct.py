"""Direct estimators: the target policy's own fresh responses, scored.

``naive_direct`` averages raw judge scores: cheap, and biased by however far
the judge's scale sits from the oracle's. ``direct`` averages the calibrated
reward of the fresh draws and adds a mean residual (oracle label minus
calibrated prediction): that of the policy's own labelled fresh draws when
there are enough (the prediction-powered estimate, valid even when the judge
misreads this policy), else the out-of-fold residual of the labelled logged
rows, which removes the calibrator's average bias on the logger's responses.
"""

from __future__ import annotations

import numpy as np

from cje.estimators.result import Estimate, estimate_from_influence
from cje.inference.influence import combine_terms, mean_term_influence


def naive_direct(
    fresh_judge_score: np.ndarray, *, fresh_cluster: np.ndarray, n_clusters: int, policy: str
) -> Estimate:
    """Mean raw judge score of the fresh draws.

    SE: cluster-robust (by prompt) influence of the mean; nothing else, since
    nothing was calibrated. The bias toward the judge's scale is not in it.
    """
    influence = mean_term_influence(fresh_judge_score, fresh_cluster, n_clusters)
    return estimate_from_influence("naive-direct", policy, fresh_judge_score.mean(), influence)


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
    """Mean calibrated reward of the fresh draws plus the mean labelled residual.

    ``residual`` is outcome minus prediction on the labelled rows used for the
    correction. Clusters index the union of prompts seen in either term.

    SE: cluster-robust influence of the fresh-draw mean. When
    ``include_label_influence`` (outcomes were not calibrated, so no jackknife
    follows) the residual mean's influence is added too; otherwise the residual
    term and the calibrator's own error are left to the oracle jackknife,
    which refits both.
    """
    fresh_term = mean_term_influence(fresh_prediction, fresh_cluster, n_clusters)
    terms = [fresh_term]
    if include_label_influence:
        terms.append(mean_term_influence(residual, residual_cluster, n_clusters))
    value = fresh_prediction.mean() + (residual.mean() if residual.size else 0.0)
    return estimate_from_influence("direct", policy, value, combine_terms(terms))
