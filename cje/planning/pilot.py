"""Variance components read off a pilot analysis.

A pilot is any dataset analysed with the estimator the real run will use.
Each non-refused estimate gives its per-prompt variance (sampling SE squared
times its prompts) and per-label variance (calibration SE squared times the
oracle labels it rested on); each paired comparison gives the same for a
difference. For the probe slices, each target policy's residual spread and
the calibrator's error on its responses are read off its transport check.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cje.analysis.comparisons import LOGGER
from cje.analysis.run import AnalysisResult, Failure
from cje.errors import CJEError
from cje.planning.variance import Components


@dataclass(frozen=True)
class ProbeInputs:
    """What sizing a policy's probe slice needs: the spread of oracle minus
    calibrated prediction on its responses, the calibrator's error in their
    mean with ``n_labels`` logger labels, and the gap seen so far (None: no
    probe labels yet). ``spread_source`` says where the spread came from."""

    policy: str
    residual_sd: float
    calibration_se: float
    n_labels: int
    observed_gap: float | None
    spread_source: str

    def calibration_se_at(self, n_labels: int) -> float:
        return self.calibration_se * float(np.sqrt(self.n_labels / n_labels))


@dataclass(frozen=True)
class Pilot:
    """Components of every usable policy and pair, and the probe inputs.
    ``left_out`` names the policies planned without, and why."""

    estimator: str
    n_prompts: int
    n_labels: int
    policies: tuple[Components, ...]
    pairs: tuple[Components, ...]
    probes: tuple[ProbeInputs, ...]
    left_out: tuple[str, ...]

    def pair(self, first: str, second: str) -> Components:
        for name in (f"{first} - {second}", f"{second} - {first}"):
            for components in self.pairs:
                if components.name == name:
                    return components
        known = ", ".join(c.name for c in self.pairs) or "none"
        raise CJEError(f"the pilot has no usable comparison of {first} and {second} (pairs: {known})")


def pilot_components(result: AnalysisResult, estimator: str) -> Pilot:
    """Components from ``result``'s ``estimator`` (refused estimates left out)."""
    if result.rewards is None:
        raise CJEError(f"the pilot has no rewards to plan from: {result.reward_error}")
    if estimator not in result.settings.estimators:
        raise CJEError(f"the pilot was not analysed with {estimator}")
    m = result.rewards.n_outcomes
    calibrated = result.rewards.source == "calibrated"
    policies, left_out = [], []
    for policy in result.policies:
        outcome = result.results[(estimator, policy)]
        if isinstance(outcome, Failure) or result.statuses[(estimator, policy)].refused:
            left_out.append(f"{policy} (refused)")
            continue
        if outcome.own_labels:
            # Its precision is set by its probe slice, not by prompts and logger labels.
            left_out.append(f"{policy} (corrected with its own {outcome.own_labels} probe labels)")
            continue
        policies.append(Components(policy, outcome.se_sampling**2 * outcome.n,
                                   outcome.se_calibration**2 * m if calibrated else 0.0))
    if not policies:
        raise CJEError(f"every {estimator} estimate of the pilot was refused or failed: nothing to plan from")
    usable = {c.name for c in policies} | {LOGGER}
    pairs = []
    for pair in result.comparisons[estimator].pairs:
        d = pair.difference
        if d.first not in usable or d.second not in usable:
            continue
        pairs.append(Components(f"{d.first} - {d.second}", d.se_sampling**2 * d.n,
                                d.se_calibration**2 * m if calibrated else 0.0))
    return Pilot(estimator, result.policies[policies[0].name].n_logged, m, tuple(policies), tuple(pairs),
                 probe_inputs(result, estimator), tuple(left_out))


def probe_inputs(result: AnalysisResult, estimator: str) -> tuple[ProbeInputs, ...]:
    """Per target policy with fresh draws: from its own probe labels when it
    has some, else the logger's out-of-fold residual spread."""
    rewards = result.rewards
    assert rewards is not None
    found = []
    for policy, summary in result.policies.items():
        if summary.transport is None:
            continue
        own = summary.transport.own_labels
        outcome = result.results.get((estimator, policy))
        fallback_calibration = outcome.se_calibration if outcome is not None and not isinstance(
            outcome, Failure) else 0.0
        if own is not None and own.n_labels >= 10:
            sampling = float(np.sqrt(max(own.se**2 - own.se_calibration**2, 0.0)))
            found.append(ProbeInputs(policy, sampling * np.sqrt(own.n_labels), own.se_calibration,
                                     rewards.n_outcomes, own.mean_residual,
                                     f"{own.n_labels} probe labels"))
        else:
            found.append(ProbeInputs(policy, rewards.out_of_fold_rmse, fallback_calibration, rewards.n_outcomes,
                                     None if own is None else own.mean_residual,
                                     "the logger's out-of-fold residuals (no probe labels yet)"))
    return tuple(found)
