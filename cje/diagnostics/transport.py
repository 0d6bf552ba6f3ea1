"""Does the judge -> oracle map learned on the logger hold for a target policy?

Only oracle labels on the target's own responses can tell (a probe slice):
their mean residual against the calibrated prediction estimates how far every
estimator that borrows the logger's calibration is off for this policy.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cje.inference.influence import influence_se, mean_term_influence
from cje.inference.intervals import Interval, t_interval


@dataclass(frozen=True)
class TransportCheck:
    """Mean of (oracle label - calibrated prediction) on the policy's labelled
    fresh draws, clustered by prompt."""

    mean_residual: float
    se: float
    n_labels: int

    def ci(self, level: float = 0.95) -> Interval:
        return t_interval(self.mean_residual, self.se, max(self.n_labels - 1, 1), level)


MIN_PROBE_LABELS = 10


def transport_check(
    oracle_label: np.ndarray, prediction: np.ndarray, cluster: np.ndarray
) -> TransportCheck | None:
    """None when fewer than ``MIN_PROBE_LABELS`` fresh draws carry a label."""
    labelled = np.isfinite(oracle_label)
    if labelled.sum() < MIN_PROBE_LABELS:
        return None
    residual = oracle_label[labelled] - prediction[labelled]
    prompts, local_cluster = np.unique(cluster[labelled], return_inverse=True)
    influence = mean_term_influence(residual, local_cluster.reshape(-1), prompts.size)
    return TransportCheck(float(residual.mean()), influence_se(influence), int(labelled.sum()))
