"""Everything about one target policy that does not depend on the estimator:
its weights, overlap, judge-score shift, label support and transport verdict."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from cje.analysis.inputs import PolicyInputs
from cje.calibration.rewards import RewardModel
from cje.calibration.weights import CalibratedWeights, calibrate_weights
from cje.data.tables import Dataset
from cje.diagnostics.calibration import label_support
from cje.diagnostics.judge import JudgeShift, judge_shift
from cje.diagnostics.overlap import (
    DIFFERENT_COVERAGE_BELOW,
    SUPPORT_GAP_BELOW,
    mean_raw_weight,
    target_coverage,
)
from cje.diagnostics.transport import (
    TransportVerdict,
    effective_labels,
    orthogonality_check,
    own_label_check,
    transport_verdict,
)
from cje.diagnostics.weights import WeightDiagnostics, weight_calibration_shift, weight_diagnostics
from cje.inference.intervals import Measurement


@dataclass(frozen=True)
class PolicySummary:
    """One target policy: its inputs, weights and every per-policy diagnostic."""

    policy: str
    n_logged: int
    inputs: PolicyInputs = field(repr=False)
    calibrated: CalibratedWeights | None = field(default=None, repr=False)
    weights: WeightDiagnostics | None = None
    mean_weight: Measurement | None = None
    coverage: Measurement | None = None
    weight_calibration_shift: Measurement | None = None
    judge_shift: JudgeShift | None = None
    label_support: float | None = None
    transport: TransportVerdict | None = None

    @property
    def n_analysed(self) -> int:
        return int(self.inputs.rows.size)

    @property
    def n_dropped_logprob(self) -> int:
        return self.inputs.n_dropped_logprob

    @property
    def n_fresh(self) -> int:
        return int(self.inputs.fresh_judge.size)

    @property
    def n_dr_dropped(self) -> int:
        return self.inputs.n_dr_dropped

    @property
    def calibrated_weight(self) -> np.ndarray | None:
        return None if self.calibrated is None else self.calibrated.weight

    @property
    def support_gap(self) -> bool:
        """The mean raw weight is surely below one: part of the policy's mass
        lies where the logger never goes."""
        if self.mean_weight is None or not np.isfinite(self.mean_weight.value):
            return False
        return bool(self.mean_weight.ci()[1] < SUPPORT_GAP_BELOW)

    @property
    def differences(self) -> tuple[str, ...]:
        """Evidence that this policy writes responses unlike the logger's, in
        words: where it does, the calibration's transport must be checked."""
        found = []
        if self.judge_shift is not None and self.judge_shift.shifted:
            found.append(f"its judge scores are distributed differently (KS {self.judge_shift.statistic:.2f})")
        if self.support_gap and self.mean_weight is not None:
            found.append(f"the raw weights average {self.mean_weight.value:.2f}, not 1 (a support gap)")
        if self.coverage is not None and self.coverage.value < DIFFERENT_COVERAGE_BELOW:
            found.append(f"only {self.coverage.value:.0%} of its own responses are ones the logger writes")
        return tuple(found)


def summarize_policy(dataset: Dataset, inputs: PolicyInputs, model: RewardModel | None, *,
                     refits: tuple[RewardModel, ...], variance_cap: float, margin: float) -> PolicySummary:
    """Calibrated weights and every per-policy diagnostic, computed once."""
    calibrated = weights = mean_weight = shift = None
    logged = dataset.logged
    if inputs.rows.size >= 2:
        calibrated = calibrate_weights(inputs.weight, inputs.judge, inputs.weight_fold, variance_cap=variance_cap)
        weights = weight_diagnostics(inputs.weight, calibrated.weight)
        mean_weight = mean_raw_weight(inputs.log_weight)
        if model is not None:
            shift = weight_calibration_shift(model.reward[inputs.rows], inputs.weight, calibrated.weight,
                                             model.predict(inputs.judge))
    summary = PolicySummary(
        policy=inputs.policy, n_logged=logged.n, inputs=inputs, calibrated=calibrated, weights=weights,
        mean_weight=mean_weight, weight_calibration_shift=shift,
        coverage=target_coverage(inputs.fresh_target_logprob, inputs.fresh_logger_logprob,
                                 inputs.direct_fresh_cluster) if inputs.has_fresh else None,
        judge_shift=judge_shift(inputs.fresh_judge, logged.judge_score[inputs.rows]) if inputs.has_fresh else None,
    )
    if model is None or not inputs.has_fresh:
        return summary
    support = label_support(inputs.fresh_judge, logged.judge_score[model.outcome_mask])
    verdict = _transport(summary, model, refits, margin)
    return replace(summary, label_support=support, transport=verdict)


def _transport(summary: PolicySummary, model: RewardModel, refits: tuple[RewardModel, ...],
               margin: float) -> TransportVerdict:
    inputs = summary.inputs
    refit_predictions = np.vstack([r.predict(inputs.fresh_levels) for r in refits]) if refits else None
    own = own_label_check(inputs.fresh_oracle, model.predict(inputs.fresh_levels), inputs.direct_fresh_cluster,
                          refit_predictions=refit_predictions)
    orthogonality = None
    raw_ess = effective = 0.0
    if summary.weights is not None:
        labelled = model.outcome_mask[inputs.rows]
        orthogonality = orthogonality_check(inputs.weight, model.outcome[inputs.rows],
                                            model.out_of_fold[inputs.rows], labelled)
        # Within a support gap the logged rows cannot vouch for the unseen mass.
        uncovered = summary.coverage is not None and summary.coverage.value < DIFFERENT_COVERAGE_BELOW
        raw_ess = 0.0 if summary.support_gap or uncovered else summary.weights.ess_raw
        effective = effective_labels(inputs.weight, labelled)
    return transport_verdict(own, orthogonality, margin=margin, raw_ess=raw_ess, effective_labelled_rows=effective)
