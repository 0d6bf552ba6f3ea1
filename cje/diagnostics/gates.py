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

import numpy as np

from cje.diagnostics.transport import TransportCheck
from cje.diagnostics.weights import WeightDiagnostics
from cje.estimators.result import Estimate

IPS_FAMILY = frozenset({"raw-ips", "calibrated-ips"})
DR_FAMILY = frozenset({"dr-cpo", "calibrated-dr-cpo", "mrdr", "tmle", "stacked-dr"})

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


def gate(
    estimate: Estimate,
    weights: WeightDiagnostics | None,
    calibration: CalibrationFacts | None,
    transport: TransportCheck | None,
    label_support: float | None = None,
    *,
    ci_level: float = 0.95,
) -> Status:
    refuse: list[str] = []
    warn: list[str] = []
    name = estimate.estimator
    if name == "naive-direct":
        warn.append("raw judge scores are on the judge's scale, not the oracle's; expect bias")
    if weights is not None and name in IPS_FAMILY:
        _ips_gates(weights, name, refuse, warn)
    if weights is not None and name in DR_FAMILY:
        _dr_gates(estimate, weights, refuse, warn, ci_level)
    if name != "naive-direct":
        _calibration_gates(calibration, None if name == "direct" else transport, refuse, warn, ci_level)
    if (name == "direct" or name in DR_FAMILY) and label_support is not None:
        if label_support > WARN_THIN_SUPPORT:
            warn.append(f"{label_support:.0%} of this policy's fresh responses sit at judge scores "
                        "with fewer than 5 oracle labels nearby: the calibration extrapolates there")
    _se_gates(estimate, refuse)
    if refuse:
        return Status("refuse", tuple(refuse + warn))
    return Status("warn" if warn else "ok", tuple(warn))


def _ips_gates(w: WeightDiagnostics, name: str, refuse: list[str], warn: list[str]) -> None:
    if w.ess_raw < REFUSE_RAW_ESS:
        refuse.append(f"raw weights have an ESS of {w.ess_raw:.2%}: the logger almost never "
                      "produces what this policy would")
    elif w.ess_raw < WARN_RAW_ESS:
        warn.append(f"raw weights have a low ESS ({w.ess_raw:.1%})")
    if w.near_zero_share >= REFUSE_NEAR_ZERO_SHARE:
        refuse.append(f"{w.near_zero_share:.0%} of logged responses are ones this policy would "
                      "almost never give (raw weight < 0.01)")
    if w.hill_index < WARN_HILL_INDEX:
        warn.append(f"raw weights have a heavy tail (Hill index {w.hill_index:.2f} < 2)")
    if w.top1_share > WARN_TOP1_SHARE:
        warn.append(f"the top 1% of rows carry {w.top1_share:.0%} of the weight")
    if name == "calibrated-ips" and w.ess_calibrated < WARN_CALIBRATED_ESS:
        warn.append(f"calibrated weights still have a low ESS ({w.ess_calibrated:.0%})")


def _dr_gates(estimate: Estimate, w: WeightDiagnostics, refuse: list[str], warn: list[str],
              level: float) -> None:
    if w.ess_raw < REFUSE_RAW_ESS:
        warn.append(f"weights barely overlap (raw ESS {w.ess_raw:.2%}): the estimate rests on "
                    "the outcome model, like the direct method")
    if estimate.estimator == "dr-cpo" and w.hill_index < WARN_HILL_INDEX:
        warn.append(f"raw weights have a heavy tail (Hill index {w.hill_index:.2f} < 2)")
    correction = estimate.correction
    if correction is not None and np.isfinite(correction.se):
        low, high = correction.ci(level)
        if low > 0 or high < 0:
            warn.append(f"orthogonality check fails: weighted residual {correction.value:+.3f} "
                        f"(CI {low:+.3f} to {high:+.3f}); the outcome model is off for this policy")


def _calibration_gates(cal: CalibrationFacts | None, transport: TransportCheck | None,
                       refuse: list[str], warn: list[str], level: float) -> None:
    if transport is not None:
        low, high = transport.ci(level)
        significant = low > 0 or high < 0
        gap = transport.mean_residual
        if significant and abs(gap) >= TRANSPORT_REFUSE_GAP:
            refuse.append(f"this policy's own oracle labels sit {gap:+.2f} from what the judge "
                          "calibration predicts: the judge misreads it, so calibrated estimates are biased")
        elif significant:
            warn.append(f"judge calibration is slightly off for this policy ({gap:+.3f})")
    if cal is None:
        return
    if cal.out_of_fold_rmse > WARN_CALIBRATION_RMSE:
        warn.append(f"the judge predicts the oracle poorly (out-of-fold RMSE {cal.out_of_fold_rmse:.2f})")
    if cal.calibrated and cal.n_labels < WARN_FEW_LABELS:
        warn.append(f"only {cal.n_labels} oracle labels trained the calibration")


def _se_gates(estimate: Estimate, refuse: list[str]) -> None:
    se = estimate.se
    if not np.isfinite(se):
        refuse.append("the standard error is not a number")
    elif se < MIN_PLAUSIBLE_SE and estimate.n >= 20:
        refuse.append(f"the standard error ({se:.1e}) is implausibly small: one row carries the estimate")
    elif se > MAX_USEFUL_SE:
        refuse.append(f"the standard error ({se:.2f}) is too large for the estimate to mean anything")
