"""Self-normalised importance sampling on calibrated rewards."""

from __future__ import annotations

import numpy as np

from cje.estimators.result import Estimate, estimate_from_influence


def snips(
    reward: np.ndarray, weight: np.ndarray, *, policy: str, estimator: str = "raw-ips"
) -> Estimate:
    """``sum(w * r) / sum(w)`` over the logged rows.

    Influence values are ``w_i (r_i - V) / mean(w)``, the self-normalised
    estimator's own (the unnormalised one's would give a different and wrong
    SE for the same number).

    SE: influence function over prompts with the reward map held fixed; the
    oracle jackknife (added by the caller when rewards were calibrated) covers
    the reward map.
    """
    mean_weight = weight.mean()
    value = np.sum(weight * reward) / np.sum(weight)
    influence = weight * (reward - value) / mean_weight
    return estimate_from_influence(estimator, policy, value, influence)


def calibrated_snips(
    reward: np.ndarray,
    weight: np.ndarray,
    *,
    calibrated_weight: np.ndarray,
    reward_given_score: np.ndarray,
    policy: str,
) -> Estimate:
    """``sum(c * r) / sum(c)`` with judge-calibrated weights ``c``.

    The calibrated weights are themselves estimated (a regression of the raw
    weights on the judge score), and that estimate moves the result: its
    influence adds ``(w_i - c_i) * (E[r | score_i] - V)``, with
    ``reward_given_score`` supplying E[r | score]. When the reward is a
    function of the score this makes the influence ``w_i (r_i - V)``, the raw
    IPS influence: calibrating the weights steadies the point estimate but
    cannot make the first-order uncertainty smaller, and an SE that pretended
    otherwise would give intervals that under-cover.

    SE: that influence function over prompts, reward map held fixed (the
    oracle jackknife covers it when rewards were calibrated).
    """
    c = calibrated_weight / calibrated_weight.mean()
    w = weight / weight.mean()
    value = np.sum(c * reward) / np.sum(c)
    influence = c * (reward - value) + (w - c) * (reward_given_score - value)
    return estimate_from_influence("calibrated-ips", policy, value, influence)
