"""Gates: turn diagnostics into ``ok`` / ``warn`` / ``refuse``, with reasons.

``ok`` is a promise that nothing we can check says the interval is wrong. A
refused estimate is still computed and shown, but never called best. Each
estimator's registry entry lists the gates that apply to it; the thresholds,
and why:

Overlap (IPS family, which rely on the weights alone):
  * refuse if raw ESS < 1% of n, or 90%+ of logged rows have raw weight < 0.01:
    the estimate rests on a handful of rows. Calibrated weights can look
    healthy here while the estimate stays wrong, so the gate reads raw weights;
  * refuse on a support gap: the mean raw weight's 95% interval lies below
    0.95 (at least 5% of the target's mass is where the logger never goes), or
    under 90% of the target's own draws are ones the logger could produce;
  * warn if raw ESS < 10%, the top 1% of rows hold over half the weight, the
    Hill tail index < 2, the calibrated ESS < 30% (calibrated IPS), the mean
    raw weight is significantly above 1.05 (inconsistent log-probs), or
    calibrated and raw IPS disagree beyond their noise (E[w | judge] is not
    monotone, so weight calibration biases the estimate).
DR family:
  * warn if raw ESS < 1% (the estimate rests on the outcome model); for
    raw-weight DR also if raw ESS < 10% or the tail is heavy (its SE is then
    unreliable, so stacking leaves it out);
  * warn if the orthogonality check fails (the weighted residual's CI
    excludes zero): the outcome model is off and only the weights correct it.
Every estimator that uses the judge -> oracle map (direct and DR always,
because they score the fresh draws with it; IPS when rewards were
calibrated), unless it corrected itself with the policy's own oracle labels:
  * refuse if the judge carries no information (one score level, one label
    value, or no monotone association distinguishable from noise);
  * refuse if the transport verdict is ``fail``; warn if it is
    ``inconclusive`` or ``not-checked`` while the policy's judge scores are
    distributed differently from the logger's;
  * warn if the map's out-of-fold RMSE exceeds 0.25 or fewer than 30 labels
    trained it; (direct and DR) warn if over 20% of the policy's fresh
    responses sit at judge scores with fewer than 5 labels within 0.05.
Every estimator:
  * refuse if the SE is not finite, zero or implausibly small (< 1e-5 with 20+
    prompts), or so large (> 0.15) that the 95% interval spans most of the scale.
naive-direct always warns: raw judge scores sit on the judge's scale.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

import numpy as np

from cje.diagnostics.gate_names import Gate
from cje.diagnostics.judge import JudgeInformation
from cje.diagnostics.overlap import DIFFERENT_COVERAGE_BELOW, SUPPORT_GAP_BELOW
from cje.diagnostics.reasons import Reason, ReasonCode
from cje.diagnostics.transport import Audit, TransportVerdict
from cje.diagnostics.weights import WeightDiagnostics
from cje.estimators.result import Estimate
from cje.inference.intervals import Measurement

REFUSE_RAW_ESS = 0.01
REFUSE_NEAR_ZERO_SHARE = 0.90
WARN_RAW_ESS = 0.10
WARN_HILL_INDEX = 2.0
WARN_TOP1_SHARE = 0.5
WARN_CALIBRATED_ESS = 0.30
WARN_MEAN_WEIGHT_ABOVE = 1.05
WARN_WEIGHT_CALIBRATION_SHIFT = 0.01
WARN_CALIBRATION_RMSE = 0.25
WARN_FEW_LABELS = 30
WARN_THIN_SUPPORT = 0.20
MIN_PLAUSIBLE_SE = 1e-5
MAX_USEFUL_SE = 0.15


class Level(StrEnum):
    OK = "ok"
    WARN = "warn"
    REFUSE = "refuse"


@dataclass(frozen=True)
class Status:
    level: Level
    reasons: tuple[Reason, ...] = ()

    @property
    def refused(self) -> bool:
        return self.level is Level.REFUSE

    def has(self, *codes: ReasonCode) -> bool:
        return any(reason.code in codes for reason in self.reasons)


@dataclass(frozen=True)
class CalibrationFacts:
    """What the gates need to know about the judge -> oracle map."""

    calibrated: bool
    n_labels: int
    out_of_fold_rmse: float
    judge: JudgeInformation | None = None


@dataclass(frozen=True)
class PolicyFacts:
    """Everything the gates read about one policy, computed once per analysis."""

    weights: WeightDiagnostics | None = None
    mean_weight: Measurement | None = None
    coverage: Measurement | None = None
    weight_calibration_shift: Measurement | None = None
    calibration: CalibrationFacts | None = None
    transport: TransportVerdict | None = None
    differences: tuple[str, ...] = ()
    label_support: float | None = None


@dataclass(frozen=True)
class Use:
    """How one estimate used the judge -> oracle map: at all, and whether it
    corrected itself with the policy's own oracle labels."""

    map_used: bool
    own_labels: int = 0


@dataclass
class _Verdict:
    refusals: list[Reason] = field(default_factory=list)
    warnings: list[Reason] = field(default_factory=list)

    def refuse(self, code: ReasonCode, message: str) -> None:
        self.refusals.append(Reason(code, message))

    def warn(self, code: ReasonCode, message: str) -> None:
        self.warnings.append(Reason(code, message))

    def status(self) -> Status:
        if self.refusals:
            return Status(Level.REFUSE, tuple(self.refusals + self.warnings))
        return Status(Level.WARN if self.warnings else Level.OK, tuple(self.warnings))


def gate(estimate: Estimate, gates: frozenset[Gate], facts: PolicyFacts, use: Use, *,
         ci_level: float = 0.95) -> Status:
    """Apply ``gates`` to one estimate; refusals first, then warnings."""
    verdict = _Verdict()
    if Gate.RAW_JUDGE_SCALE in gates:
        verdict.warn(ReasonCode.RAW_JUDGE_SCALE,
                     "raw judge scores are on the judge's scale, not the oracle's; expect bias")
    _weight_gates(gates, facts, verdict)
    if Gate.ORTHOGONALITY in gates:
        _orthogonality(estimate, verdict, ci_level)
    if use.map_used and not use.own_labels:
        _judge_information(facts.calibration, verdict)
        if Gate.TRANSPORT in gates:
            _transport(facts, verdict)
    if Gate.CALIBRATION in gates and use.map_used:
        _calibration(facts.calibration, verdict)
    if Gate.LABEL_SUPPORT in gates and facts.label_support is not None and facts.label_support > WARN_THIN_SUPPORT:
        verdict.warn(ReasonCode.THIN_LABEL_SUPPORT,
                     f"{facts.label_support:.0%} of this policy's fresh responses sit at judge scores with "
                     "fewer than 5 oracle labels nearby: the calibration extrapolates there")
    if Gate.STANDARD_ERROR in gates:
        _standard_error(estimate, verdict)
    return verdict.status()


def _weight_gates(gates: frozenset[Gate], facts: PolicyFacts, verdict: _Verdict) -> None:
    w = facts.weights
    if w is None:
        return
    if Gate.IPS_OVERLAP in gates:
        _ips_overlap(w, verdict)
    if Gate.SUPPORT in gates:
        _support(facts.mean_weight, facts.coverage, verdict)
    if Gate.RAW_WEIGHT_NOISE in gates and REFUSE_RAW_ESS <= w.ess_raw < WARN_RAW_ESS:
        verdict.warn(ReasonCode.LOW_OVERLAP, f"raw weights have a low ESS ({w.ess_raw:.1%}): the raw-weight "
                     "correction rests on few rows and its standard error is unreliable")
    if Gate.HEAVY_TAIL in gates and w.hill_index < WARN_HILL_INDEX:
        verdict.warn(ReasonCode.HEAVY_TAIL, f"raw weights have a heavy tail (Hill index {w.hill_index:.2f} < 2)")
    if Gate.CALIBRATED_ESS in gates and w.ess_calibrated < WARN_CALIBRATED_ESS:
        verdict.warn(ReasonCode.LOW_CALIBRATED_ESS,
                     f"calibrated weights still have a low ESS ({w.ess_calibrated:.0%})")
    shift = facts.weight_calibration_shift
    if Gate.WEIGHT_CALIBRATION_SHIFT in gates and shift is not None:
        low, high = shift.ci()
        if (low > 0 or high < 0) and abs(shift.value) > WARN_WEIGHT_CALIBRATION_SHIFT:
            verdict.warn(ReasonCode.WEIGHT_CALIBRATION_SHIFT,
                         f"calibrating the weights moved the estimate by {shift.value:+.3f} (CI {low:+.3f} to "
                         f"{high:+.3f}) from raw IPS: E[weight | judge] is not monotone, so the calibrated "
                         "weights are biased")
    if Gate.DR_OVERLAP in gates and w.ess_raw < REFUSE_RAW_ESS:
        verdict.warn(ReasonCode.DR_RESTS_ON_OUTCOME_MODEL,
                     f"weights barely overlap (raw ESS {w.ess_raw:.2%}): the estimate rests on the outcome "
                     "model, like the direct method")


def _ips_overlap(w: WeightDiagnostics, verdict: _Verdict) -> None:
    if w.ess_raw < REFUSE_RAW_ESS:
        verdict.refuse(ReasonCode.NO_OVERLAP, f"raw weights have an ESS of {w.ess_raw:.2%}: the logger almost "
                       "never produces what this policy would")
    elif w.ess_raw < WARN_RAW_ESS:
        verdict.warn(ReasonCode.LOW_OVERLAP, f"raw weights have a low ESS ({w.ess_raw:.1%})")
    if w.near_zero_share >= REFUSE_NEAR_ZERO_SHARE:
        verdict.refuse(ReasonCode.NEAR_ZERO_WEIGHTS, f"{w.near_zero_share:.0%} of logged responses are ones this "
                       "policy would almost never give (raw weight < 0.01)")
    if w.top1_share > WARN_TOP1_SHARE:
        verdict.warn(ReasonCode.WEIGHT_CONCENTRATION, f"the top 1% of rows carry {w.top1_share:.0%} of the weight")


def _support(mean_weight: Measurement | None, coverage: Measurement | None, verdict: _Verdict) -> None:
    if mean_weight is not None and np.isfinite(mean_weight.value):
        low, high = mean_weight.ci()
        if not np.isfinite(mean_weight.se) or high < SUPPORT_GAP_BELOW:
            verdict.refuse(ReasonCode.SUPPORT_GAP,
                           f"the raw weights average {mean_weight.value:.3g} (95% CI up to {high:.3g}) instead of 1: "
                           "the logged responses cover only part of this policy's probability mass, and "
                           "importance weighting cannot see the rest")
        elif low > WARN_MEAN_WEIGHT_ABOVE:
            verdict.warn(ReasonCode.WEIGHTS_INCONSISTENT,
                         f"the raw weights average {mean_weight.value:.3g} (95% CI from {low:.3g}), above the 1 that "
                         "consistent log-probabilities give: the log-probs are noisy or computed inconsistently")
    if coverage is not None and coverage.value < DIFFERENT_COVERAGE_BELOW:
        verdict.refuse(ReasonCode.SUPPORT_GAP,
                       f"only {coverage.value:.0%} of this policy's own responses are ones the logger produces at "
                       f"least 1% as often: the logged data barely visit where this policy puts its mass")


def _orthogonality(estimate: Estimate, verdict: _Verdict, level: float) -> None:
    correction = estimate.correction
    if correction is None or not np.isfinite(correction.se):
        return
    low, high = correction.ci(level)
    if low > 0 or high < 0:
        verdict.warn(ReasonCode.ORTHOGONALITY_FAILS,
                     f"orthogonality check fails: weighted residual {correction.value:+.3f} (CI {low:+.3f} to "
                     f"{high:+.3f}); the outcome model is off for this policy")


def _judge_information(cal: CalibrationFacts | None, verdict: _Verdict) -> None:
    judge = None if cal is None else cal.judge
    if judge is None or judge.informative:
        return
    if judge.n_label_values < 2:
        verdict.refuse(ReasonCode.JUDGE_UNINFORMATIVE,
                       f"every one of the {judge.n_labels} kept oracle labels has the same value: the calibration "
                       "has nothing to learn and any interval would be zero-width")
    elif judge.n_judge_levels < 2:
        verdict.refuse(ReasonCode.JUDGE_UNINFORMATIVE,
                       "the judge gave every labelled response the same score: it cannot tell responses apart")
    else:
        verdict.refuse(ReasonCode.JUDGE_UNINFORMATIVE,
                       f"the judge's scores show no monotone relation to the oracle labels that could not be "
                       f"noise (Kendall tau {judge.kendall_tau:+.2f}, p = {judge.p_value:.2f}, "
                       f"{judge.n_labels} labels)")


def _transport(facts: PolicyFacts, verdict: _Verdict) -> None:
    transport = facts.transport
    if transport is None:
        return
    if transport.audit is Audit.FAIL:
        check = transport.own_labels if transport.own_labels_audit is Audit.FAIL else transport.orthogonality
        gap = "" if check is None else f" by {check.mean_residual:+.2f}"
        verdict.refuse(ReasonCode.TRANSPORT_FAILS,
                       f"the judge calibration misses this policy{gap} (beyond the ±{transport.margin:g} margin; "
                       f"evidence: {'; '.join(transport.based_on)}): the judge misreads it, so calibrated "
                       "estimates are biased")
    elif transport.audit is not Audit.PASS and facts.differences:
        evidence = "; ".join(transport.based_on) or "no oracle labels on its own responses"
        verdict.warn(ReasonCode.TRANSPORT_UNCHECKED,
                     f"this policy's responses differ from the logger's ({'; '.join(facts.differences)}) and "
                     f"the calibration's transport to it is {transport.audit} ({evidence}); label some of its "
                     "responses (a probe slice) to check")


def _calibration(cal: CalibrationFacts | None, verdict: _Verdict) -> None:
    if cal is None:
        return
    if cal.out_of_fold_rmse > WARN_CALIBRATION_RMSE:
        verdict.warn(ReasonCode.POOR_CALIBRATION,
                     f"the judge predicts the oracle poorly (out-of-fold RMSE {cal.out_of_fold_rmse:.2f})")
    if cal.n_labels < WARN_FEW_LABELS:
        verdict.warn(ReasonCode.FEW_LABELS, f"only {cal.n_labels} oracle labels trained the calibration")


def _standard_error(estimate: Estimate, verdict: _Verdict) -> None:
    se = estimate.se
    if not np.isfinite(se):
        verdict.refuse(ReasonCode.SE_NOT_A_NUMBER, "the standard error is not a number")
    elif se == 0.0:
        verdict.refuse(ReasonCode.SE_IMPLAUSIBLY_SMALL,
                       "the standard error is exactly zero: nothing that feeds the estimate varies")
    elif se < MIN_PLAUSIBLE_SE and estimate.n >= 20:
        verdict.refuse(ReasonCode.SE_IMPLAUSIBLY_SMALL,
                       f"the standard error ({se:.1e}) is implausibly small: the estimate rests on one row, or "
                       "on values that barely vary")
    elif se > MAX_USEFUL_SE:
        verdict.refuse(ReasonCode.SE_TOO_LARGE,
                       f"the standard error ({se:.2f}) is too large for the estimate to mean anything")
