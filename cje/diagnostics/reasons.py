"""Why an estimate is flagged: a stable code for programs, words for people.

Every reason a gate gives carries one of the codes below. Codes are part of
the results' contract (the JSON schema lists them); the words may improve.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class ReasonCode(StrEnum):
    """Each code and what it means (the description is the documentation)."""

    RAW_JUDGE_SCALE = "raw-judge-scale"
    NO_OVERLAP = "no-overlap"
    LOW_OVERLAP = "low-overlap"
    NEAR_ZERO_WEIGHTS = "near-zero-weights"
    WEIGHT_CONCENTRATION = "weight-concentration"
    HEAVY_TAIL = "heavy-tail"
    LOW_CALIBRATED_ESS = "low-calibrated-ess"
    DR_RESTS_ON_OUTCOME_MODEL = "dr-rests-on-outcome-model"
    ORTHOGONALITY_FAILS = "orthogonality-fails"
    SUPPORT_GAP = "support-gap"
    WEIGHTS_INCONSISTENT = "weights-inconsistent"
    WEIGHT_CALIBRATION_SHIFT = "weight-calibration-shift"
    JUDGE_UNINFORMATIVE = "judge-uninformative"
    TRANSPORT_FAILS = "transport-fails"
    TRANSPORT_UNCHECKED = "transport-unchecked"
    POOR_CALIBRATION = "poor-calibration"
    FEW_LABELS = "few-labels"
    THIN_LABEL_SUPPORT = "thin-label-support"
    SE_NOT_A_NUMBER = "se-not-a-number"
    SE_IMPLAUSIBLY_SMALL = "se-implausibly-small"
    SE_TOO_LARGE = "se-too-large"
    NOT_COMPUTED = "not-computed"

    @property
    def description(self) -> str:
        return DESCRIPTIONS[self]


DESCRIPTIONS: dict[ReasonCode, str] = {
    ReasonCode.RAW_JUDGE_SCALE: "raw judge scores are on the judge's scale, not the oracle's",
    ReasonCode.NO_OVERLAP: "the raw importance weights' ESS is below 1% of the rows: the logger almost "
                           "never produces what the target would",
    ReasonCode.LOW_OVERLAP: "the raw importance weights' ESS is below 10% of the rows",
    ReasonCode.NEAR_ZERO_WEIGHTS: "90% or more of the logged responses have a raw weight below 0.01",
    ReasonCode.WEIGHT_CONCENTRATION: "the top 1% of rows carry over half of the total weight",
    ReasonCode.HEAVY_TAIL: "the raw weights' Hill tail index is below 2 (infinite variance)",
    ReasonCode.LOW_CALIBRATED_ESS: "the calibrated weights' ESS is below 30%",
    ReasonCode.DR_RESTS_ON_OUTCOME_MODEL: "the weights barely overlap, so a DR estimate is essentially the "
                                          "outcome model's",
    ReasonCode.ORTHOGONALITY_FAILS: "the weighted residual of the outcome model differs from zero: the model "
                                    "is off for this policy",
    ReasonCode.SUPPORT_GAP: "the logged responses cover only part of the target policy's probability mass "
                            "(mean raw weight well below 1, or few of its own draws are ones the logger produces)",
    ReasonCode.WEIGHTS_INCONSISTENT: "the raw weights average well above 1: the log-probabilities are noisy or "
                                     "inconsistent",
    ReasonCode.WEIGHT_CALIBRATION_SHIFT: "calibrated and raw IPS disagree beyond their noise: E[weight | judge] "
                                         "is not monotone and weight calibration biases the estimate",
    ReasonCode.JUDGE_UNINFORMATIVE: "the judge carries no usable information about the oracle (one score level, "
                                    "one label value, or no association distinguishable from noise)",
    ReasonCode.TRANSPORT_FAILS: "the judge -> oracle calibration does not hold for this policy (transport "
                                "verdict: fail)",
    ReasonCode.TRANSPORT_UNCHECKED: "the policy's judge scores differ from the logger's and the calibration's "
                                    "transport to it is inconclusive or unchecked",
    ReasonCode.POOR_CALIBRATION: "the calibration's out-of-fold RMSE exceeds 0.25",
    ReasonCode.FEW_LABELS: "fewer than 30 oracle labels trained the calibration",
    ReasonCode.THIN_LABEL_SUPPORT: "over 20% of the policy's fresh responses sit where oracle labels are thin",
    ReasonCode.SE_NOT_A_NUMBER: "the standard error is not a number",
    ReasonCode.SE_IMPLAUSIBLY_SMALL: "the standard error is zero or implausibly small",
    ReasonCode.SE_TOO_LARGE: "the standard error is so large that the interval spans most of the scale",
    ReasonCode.NOT_COMPUTED: "the estimator could not run for this policy (the message says why)",
}


@dataclass(frozen=True)
class Reason:
    """One reason an estimate is flagged."""

    code: ReasonCode
    message: str

    def __str__(self) -> str:
        return self.message
