"""Gates: turn diagnostics into ``ok`` / ``warn`` / ``refuse``, in plain words.

A refused estimate is still computed and shown, but it is never called the
best policy. The thresholds, and why:

IPS family (raw-ips, calibrated-ips) rely on the weights alone:
  * refuse if raw ESS < 1% of n, or 90%+ of logged rows have raw weight < 0.01:
    the logger almost never produces what the target would, so the estimate
    rests on a handful of rows. Calibrating the weights does not change this
    (it can lift the calibrated ESS to 90%+ while the estimate stays wrong),
    so the gate reads the raw weights;
  * warn if raw ESS < 10%, the Hill tail index < 2 (infinite-variance tail),
    the top 1% of rows hold over half the weight, or the calibrated ESS < 30%.
DR family (dr-cpo, calibrated-dr-cpo, mrdr, tmle, stacked-dr):
  * warn if raw ESS < 1%: the correction rests on few rows and the estimate
    is essentially the outcome model's (the direct method's);
  * warn if the orthogonality check fails (the weighted residual's 95% CI
    excludes zero): the outcome model is biased for this policy and only the
    weights correct it;
  * dr-cpo also warns on an infinite-variance tail (Hill < 2).
Every estimator that uses calibrated rewards:
  * refuse if the policy's own labelled fresh draws show that the logger's
    judge -> oracle map misses this policy by 0.05 or more (95% CI excluding
    zero); warn on a smaller but significant miss. ``direct`` is exempt: with
    those labels present it corrects itself with them;
  * warn if the map's out-of-fold RMSE exceeds 0.25 or fewer than 30 labels
    trained it;
  * (direct and DR) warn if over 20% of the policy's fresh responses sit at
    judge scores with fewer than 5 labels within 0.05: the map extrapolates.
Every estimator:
  * refuse if the SE is not finite, implausibly small (< 1e-5 with 20+
    prompts: one row carries the estimate) or so large (> 0.15) that the 95%
    interval spans most of the scale.
naive-direct always warns: raw judge scores sit on the judge's scale, not the
oracle's.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import numpy as np

from cje.diagnostics.transport import TransportCheck
from cje.diagnostics.weights import WeightDiagnostics
from cje.estimators.result import Estimate

REFUSE_RAW_ESS = 0.01
REFUSE_NEAR_ZERO_SHARE = 0.90
WARN_RAW_ESS = 0.10
WARN_HILL_INDEX = 2.0
WARN_TOP1_SHARE = 0.5
WARN_CALIBRATED_ESS = 0.30
TRANSPORT_REFUSE_GAP = 0.05
WARN_CALIBRATION_RMSE = 0.25
WARN_FEW_LABELS = 30
WARN_THIN_SUPPORT = 0.20
MIN_PLAUSIBLE_SE = 1e-5
MAX_USEFUL_SE = 0.15


class Gate(StrEnum):
    """The checks an estimator is subject to (its registry entry lists them)."""

    RAW_JUDGE_SCALE = "raw-judge-scale"
    IPS_OVERLAP = "ips-overlap"
    HEAVY_TAIL = "heavy-tail"
    CALIBRATED_ESS = "calibrated-ess"
    DR_OVERLAP = "dr-overlap"
    ORTHOGONALITY = "orthogonality"
    CALIBRATION = "calibration"
    TRANSPORT = "transport"
    LABEL_SUPPORT = "label-support"
    STANDARD_ERROR = "standard-error"


@dataclass(frozen=True)
class Status:
    level: str
    reasons: tuple[str, ...] = ()

    @property
    def refused(self) -> bool:
        return self.level == "refuse"


@dataclass(frozen=True)
class CalibrationFacts:
    """What the gates need to know about the reward calibration."""

    calibrated: bool
    n_labels: int
    out_of_fold_rmse: float


@dataclass(frozen=True)
class PolicyFacts:
    """Everything the gates read about one policy, computed once per analysis."""

    weights: WeightDiagnostics | None = None
    calibration: CalibrationFacts | None = None
    transport: TransportCheck | None = None
    label_support: float | None = None


@dataclass
class _Verdict:
    refuse: list[str]
    warn: list[str]


def gate(estimate: Estimate, gates: frozenset[Gate], facts: PolicyFacts, *, ci_level: float = 0.95) -> Status:
    """Apply ``gates`` to one estimate; refusals first, then warnings."""
    verdict = _Verdict([], [])
    weights = facts.weights
    if Gate.RAW_JUDGE_SCALE in gates:
        verdict.warn.append("raw judge scores are on the judge's scale, not the oracle's; expect bias")
    if weights is not None:
        if Gate.IPS_OVERLAP in gates:
            _ips_overlap(weights, verdict)
        if Gate.HEAVY_TAIL in gates and weights.hill_index < WARN_HILL_INDEX:
            verdict.warn.append(f"raw weights have a heavy tail (Hill index {weights.hill_index:.2f} < 2)")
        if Gate.CALIBRATED_ESS in gates and weights.ess_calibrated < WARN_CALIBRATED_ESS:
            verdict.warn.append(f"calibrated weights still have a low ESS ({weights.ess_calibrated:.0%})")
        if Gate.DR_OVERLAP in gates and weights.ess_raw < REFUSE_RAW_ESS:
            verdict.warn.append(f"weights barely overlap (raw ESS {weights.ess_raw:.2%}): the estimate rests on "
                                "the outcome model, like the direct method")
    if Gate.ORTHOGONALITY in gates:
        _orthogonality(estimate, verdict, ci_level)
    if Gate.TRANSPORT in gates and facts.transport is not None:
        _transport(facts.transport, verdict, ci_level)
    if Gate.CALIBRATION in gates and facts.calibration is not None:
        _calibration(facts.calibration, verdict)
    if Gate.LABEL_SUPPORT in gates and facts.label_support is not None:
        if facts.label_support > WARN_THIN_SUPPORT:
            verdict.warn.append(f"{facts.label_support:.0%} of this policy's fresh responses sit at judge scores "
                                "with fewer than 5 oracle labels nearby: the calibration extrapolates there")
    if Gate.STANDARD_ERROR in gates:
        _standard_error(estimate, verdict)
    if verdict.refuse:
        return Status("refuse", tuple(verdict.refuse + verdict.warn))
    return Status("warn" if verdict.warn else "ok", tuple(verdict.warn))


def _ips_overlap(w: WeightDiagnostics, verdict: _Verdict) -> None:
    if w.ess_raw < REFUSE_RAW_ESS:
        verdict.refuse.append(f"raw weights have an ESS of {w.ess_raw:.2%}: the logger almost never "
                              "produces what this policy would")
    elif w.ess_raw < WARN_RAW_ESS:
        verdict.warn.append(f"raw weights have a low ESS ({w.ess_raw:.1%})")
    if w.near_zero_share >= REFUSE_NEAR_ZERO_SHARE:
        verdict.refuse.append(f"{w.near_zero_share:.0%} of logged responses are ones this policy would "
                              "almost never give (raw weight < 0.01)")
    if w.top1_share > WARN_TOP1_SHARE:
        verdict.warn.append(f"the top 1% of rows carry {w.top1_share:.0%} of the weight")


def _orthogonality(estimate: Estimate, verdict: _Verdict, level: float) -> None:
    correction = estimate.correction
    if correction is None or not np.isfinite(correction.se):
        return
    low, high = correction.ci(level)
    if low > 0 or high < 0:
        verdict.warn.append(f"orthogonality check fails: weighted residual {correction.value:+.3f} "
                            f"(CI {low:+.3f} to {high:+.3f}); the outcome model is off for this policy")


def _transport(transport: TransportCheck, verdict: _Verdict, level: float) -> None:
    low, high = transport.ci(level)
    significant = low > 0 or high < 0
    gap = transport.mean_residual
    if significant and abs(gap) >= TRANSPORT_REFUSE_GAP:
        verdict.refuse.append(f"this policy's own oracle labels sit {gap:+.2f} from what the judge "
                              "calibration predicts: the judge misreads it, so calibrated estimates are biased")
    elif significant:
        verdict.warn.append(f"judge calibration is slightly off for this policy ({gap:+.3f})")


def _calibration(cal: CalibrationFacts, verdict: _Verdict) -> None:
    if cal.out_of_fold_rmse > WARN_CALIBRATION_RMSE:
        verdict.warn.append(f"the judge predicts the oracle poorly (out-of-fold RMSE {cal.out_of_fold_rmse:.2f})")
    if cal.calibrated and cal.n_labels < WARN_FEW_LABELS:
        verdict.warn.append(f"only {cal.n_labels} oracle labels trained the calibration")


def _standard_error(estimate: Estimate, verdict: _Verdict) -> None:
    se = estimate.se
    if not np.isfinite(se):
        verdict.refuse.append("the standard error is not a number")
    elif se < MIN_PLAUSIBLE_SE and estimate.n >= 20:
        verdict.refuse.append(f"the standard error ({se:.1e}) is implausibly small: one row carries the estimate")
    elif se > MAX_USEFUL_SE:
        verdict.refuse.append(f"the standard error ({se:.2f}) is too large for the estimate to mean anything")
