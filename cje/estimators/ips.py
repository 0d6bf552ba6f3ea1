"""Self-normalised importance sampling on calibrated rewards."""

from __future__ import annotations

import numpy as np

from cje.estimators.result import Estimate, estimate_from_influence


def snips(
    reward: np.ndarray, weight: np.ndarray, *, policy: str, estimator: str = "raw-ips"
) -> Estimate:
    """``sum(w * r) / sum(w)`` over the logged rows.

    Pass raw mean-one weights for ``raw-ips`` and calibrated ones for
    ``calibrated-ips``. Influence values are ``w_i (r_i - V) / mean(w)``, the
    self-normalised estimator's own (the unnormalised one's would give a
    different and wrong SE for the same number).

    SE: influence function over prompts with the weights and the reward map
    held fixed. The oracle jackknife (added by the caller when rewards were
    calibrated) covers the reward map; the uncertainty of the weight
    calibration itself is not included.
    """
    mean_weight = weight.mean()
    value = np.sum(weight * reward) / np.sum(weight)
    influence = weight * (reward - value) / mean_weight
    return estimate_from_influence(estimator, policy, value, influence)
