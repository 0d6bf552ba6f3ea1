"""Run one estimator for one policy under one reward model.

These adapters pick each estimator's arrays out of a :class:`PolicyContext`
and a :class:`RewardModel`; the oracle jackknife calls them again with refitted
reward models. The calibrated weights depend on log-probs and judge scores
only, never on labels, so they are computed once per policy.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from enum import StrEnum

import numpy as np

from cje.analysis.inputs import PolicyInputs
from cje.calibration.rewards import RewardModel
from cje.calibration.weights import CalibratedWeights
from cje.diagnostics.transport import MIN_OWN_LABELS
from cje.errors import EstimationError
from cje.estimators.direct import direct, direct_with_own_labels, naive_direct
from cje.estimators.dr import doubly_robust
from cje.estimators.ips import calibrated_snips, snips
from cje.estimators.mrdr import fit_mrdr_outcome_model, mrdr_row_weights
from cje.estimators.result import Estimate
from cje.estimators.tmle import tmle


class MrdrOutcome(StrEnum):
    """Which outcome model MRDR runs with."""

    OWN = "own"  # the policy's own omega-weighted refit
    SHARED = "shared"  # the shared judge -> outcome map


@dataclass(frozen=True)
class PolicyContext:
    """A policy's inputs together with what every run for it shares.

    ``calibrated`` is None when fewer than two logged rows have both
    log-probabilities (nothing to calibrate). ``jackknifed``: an oracle
    jackknife follows, which covers the labelled residuals' variance (so the
    influence function must not count it again). ``use_own_labels``: direct
    corrects itself with the policy's own oracle labels. ``mrdr_outcome``:
    the outcome model MRDR uses, chosen once on every label (None: choose
    at each run) so that jackknife and bootstrap refits keep the choice.
    """

    inputs: PolicyInputs
    calibrated: CalibratedWeights | None
    mrdr_omega: str
    jackknifed: bool = False
    use_own_labels: bool = False
    mrdr_outcome: MrdrOutcome | None = None

    @property
    def policy(self) -> str:
        return self.inputs.policy

    def calibrated_weights(self) -> CalibratedWeights:
        if self.calibrated is None:
            raise EstimationError(f"fewer than 2 logged rows have log-probabilities for {self.policy}")
        return self.calibrated


Runner = Callable[[PolicyContext, "RewardModel | None"], Estimate]
"""Runs one estimator for one policy; the model is None only for estimators
that need no rewards."""


def _rewards(model: RewardModel | None) -> RewardModel:
    if model is None:
        raise EstimationError("this estimator needs rewards, and none could be formed")
    return model


def run_naive_direct(ctx: PolicyContext, model: RewardModel | None) -> Estimate:
    i = ctx.inputs
    _require_fresh(ctx)
    return naive_direct(i.fresh_judge, fresh_cluster=i.direct_fresh_cluster, n_clusters=i.n_direct_clusters,
                        policy=ctx.policy)


def run_direct(ctx: PolicyContext, model: RewardModel | None) -> Estimate:
    """Prediction-powered correction from the policy's own labelled fresh
    draws when ``ctx.use_own_labels`` (no transport assumption: the correction
    is measured on this policy's responses), else the residual correction of
    the logger's labelled rows."""
    model = _rewards(model)
    i = ctx.inputs
    _require_fresh(ctx)
    prediction = model.predict(i.fresh_levels)
    if ctx.use_own_labels:
        return direct_with_own_labels(prediction, fresh_cluster=i.direct_fresh_cluster, own_label=i.fresh_oracle,
                                      n_clusters=i.n_direct_clusters, policy=ctx.policy)
    labelled = model.outcome_mask
    return direct(
        prediction,
        fresh_cluster=i.direct_fresh_cluster,
        residual=model.outcome[labelled] - model.out_of_fold[labelled],
        residual_cluster=i.direct_logged_cluster[labelled],
        n_clusters=i.n_direct_clusters,
        policy=ctx.policy,
        include_label_influence=not ctx.jackknifed,
    )


def own_label_count(inputs: PolicyInputs) -> int:
    return int(np.isfinite(inputs.fresh_oracle).sum())


def should_use_own_labels(inputs: PolicyInputs, transport_passed: bool) -> bool:
    """Direct corrects itself with the policy's own oracle labels (two or
    more) unless the calibration's transport to the policy passed its audit:
    then the logger's labels correct it more precisely; otherwise a wide,
    honest interval beats a narrow one that may be wrong."""
    return own_label_count(inputs) >= MIN_OWN_LABELS and not transport_passed


def run_raw_ips(ctx: PolicyContext, model: RewardModel | None) -> Estimate:
    model = _rewards(model)
    i = ctx.inputs
    _require_rows(ctx)
    return snips(model.reward[i.rows], i.weight, policy=ctx.policy, estimator="raw-ips")


def run_calibrated_ips(ctx: PolicyContext, model: RewardModel | None) -> Estimate:
    model = _rewards(model)
    i = ctx.inputs
    _require_rows(ctx)
    return calibrated_snips(model.reward[i.rows], i.weight, calibrated_weight=ctx.calibrated_weights().weight,
                            reward_given_score=model.predict(i.judge), policy=ctx.policy)


@dataclass(frozen=True)
class _DrArrays:
    """The DR prompts' mean-one weights, outcomes and which of them are labelled."""

    weight: np.ndarray
    outcome: np.ndarray
    labelled: np.ndarray


def _dr_arrays(ctx: PolicyContext, model: RewardModel, *, calibrated: bool) -> _DrArrays:
    i = ctx.inputs
    _require_fresh(ctx)
    if i.dr_rows.size == 0:
        raise EstimationError(f"no prompt has both a logged row and a fresh draw of {ctx.policy}")
    source = ctx.calibrated_weights().weight if calibrated else i.weight
    weight = source[i.dr_positions]
    labelled = model.outcome_mask[i.dr_rows]
    if labelled.sum() < 2:
        raise EstimationError(f"fewer than 2 labelled rows among the prompts analysed for {ctx.policy}")
    return _DrArrays(weight / weight.mean(), model.outcome[i.dr_rows], labelled)


def _doubly_robust(ctx: PolicyContext, model: RewardModel, name: str, arrays: _DrArrays, *,
                   fresh_prediction: np.ndarray, outcome_prediction: np.ndarray) -> Estimate:
    """``doubly_robust`` on the policy's DR prompts, reporting the prompts it left out."""
    estimate = doubly_robust(
        fresh_prediction=fresh_prediction, fresh_cluster=ctx.inputs.dr_fresh_cluster, weight=arrays.weight,
        outcome=arrays.outcome, outcome_prediction=outcome_prediction, outcome_mask=arrays.labelled,
        policy=ctx.policy, estimator=name, include_label_influence=not ctx.jackknifed,
    )
    return _with_dr_dropped(estimate, ctx.inputs)


def _run_dr(ctx: PolicyContext, model: RewardModel, *, calibrated: bool, name: str) -> Estimate:
    i = ctx.inputs
    return _doubly_robust(ctx, model, name, _dr_arrays(ctx, model, calibrated=calibrated),
                          fresh_prediction=model.predict(i.fresh_levels.take(i.dr_fresh)),
                          outcome_prediction=model.out_of_fold[i.dr_rows])


def run_dr_cpo(ctx: PolicyContext, model: RewardModel | None) -> Estimate:
    return _run_dr(ctx, _rewards(model), calibrated=False, name="dr-cpo")


def run_calibrated_dr_cpo(ctx: PolicyContext, model: RewardModel | None) -> Estimate:
    return _run_dr(ctx, _rewards(model), calibrated=True, name="calibrated-dr-cpo")


@dataclass(frozen=True)
class _MrdrFit:
    """The policy's own omega-weighted outcome model, on the DR prompts."""

    fresh_prediction: np.ndarray
    outcome_prediction: np.ndarray


def _mrdr_fit(ctx: PolicyContext, model: RewardModel, arrays: _DrArrays) -> _MrdrFit:
    i = ctx.inputs
    fold = model.fold[i.dr_rows]
    labelled = arrays.labelled
    fit = fit_mrdr_outcome_model(
        i.dr_judge.take(labelled), arrays.outcome[labelled], fold[labelled], _raw_weight(ctx)[labelled],
        omega=ctx.mrdr_omega, method=model.method,
    )
    return _MrdrFit(fit.full.predict(i.fresh_levels.take(i.dr_fresh)), fit.predict_out_of_fold(i.dr_judge, fold))


def _raw_weight(ctx: PolicyContext) -> np.ndarray:
    raw = ctx.inputs.weight[ctx.inputs.dr_positions]
    return raw / raw.mean()


def choose_mrdr_outcome(ctx: PolicyContext, model: RewardModel | None) -> MrdrOutcome:
    """MRDR's outcome model, chosen by MRDR's own criterion out of fold.

    MRDR refits the judge -> outcome map to minimise the omega-weighted
    squared error, the part of the DR variance the outcome model controls.
    With few effective labels that refit is noisier than the shared map, and
    an out-of-fold win inside the noise is no evidence it helps (on the
    simulator such narrow wins made the estimate noisier, not less so), so the
    refit is kept only if it wins by more than one standard error of the mean
    per-label gain; otherwise the shared map is kept. Both maps are
    cross-fitted on the same folds, so their out-of-fold errors compare
    fairly.
    """
    model = _rewards(model)
    arrays = _dr_arrays(ctx, model, calibrated=True)
    labelled = arrays.labelled
    outcome = arrays.outcome[labelled]
    omega = mrdr_row_weights(_raw_weight(ctx)[labelled], ctx.mrdr_omega)
    own = _mrdr_fit(ctx, model, arrays).outcome_prediction[labelled]
    shared = model.out_of_fold[ctx.inputs.dr_rows][labelled]
    # Per-label gain of the refit on MRDR's criterion; keep the refit only if it
    # wins by more than one standard error of the mean gain (the one-SE rule):
    # a win inside the noise buys only the refit's extra variance.
    gain = omega * ((outcome - shared) ** 2 - (outcome - own) ** 2)
    margin = float(np.std(gain, ddof=1) / np.sqrt(gain.size)) if gain.size > 1 else np.inf
    return MrdrOutcome.OWN if float(np.mean(gain)) > margin else MrdrOutcome.SHARED


MRDR_SHARED_NOTE = ("outcome model: the shared judge -> outcome map (the policy's own omega-weighted refit "
                    "did not predict better out of fold by more than its noise)")


def run_mrdr(ctx: PolicyContext, model: RewardModel | None) -> Estimate:
    model = _rewards(model)
    i = ctx.inputs
    arrays = _dr_arrays(ctx, model, calibrated=True)
    choice = ctx.mrdr_outcome or choose_mrdr_outcome(ctx, model)
    if choice is MrdrOutcome.SHARED:
        estimate = _doubly_robust(ctx, model, "mrdr", arrays,
                                  fresh_prediction=model.predict(i.fresh_levels.take(i.dr_fresh)),
                                  outcome_prediction=model.out_of_fold[i.dr_rows])
        return replace(estimate, notes=(*estimate.notes, MRDR_SHARED_NOTE))
    fit = _mrdr_fit(ctx, model, arrays)
    return _doubly_robust(ctx, model, "mrdr", arrays, fresh_prediction=fit.fresh_prediction,
                          outcome_prediction=fit.outcome_prediction)


def run_tmle(ctx: PolicyContext, model: RewardModel | None) -> Estimate:
    model = _rewards(model)
    i = ctx.inputs
    arrays = _dr_arrays(ctx, model, calibrated=True)
    estimate = tmle(
        fresh_prediction=model.predict(i.fresh_levels.take(i.dr_fresh)), fresh_cluster=i.dr_fresh_cluster,
        weight=arrays.weight, outcome=arrays.outcome, outcome_prediction=model.out_of_fold[i.dr_rows],
        outcome_mask=arrays.labelled, policy=ctx.policy, include_label_influence=not ctx.jackknifed,
    )
    return _with_dr_dropped(estimate, i)


def _with_dr_dropped(estimate: Estimate, inputs: PolicyInputs) -> Estimate:
    return replace(estimate, n_dropped=inputs.n_dr_dropped)


def _require_fresh(ctx: PolicyContext) -> None:
    if not ctx.inputs.has_fresh:
        raise EstimationError(f"no fresh draws of {ctx.policy} were found")


def _require_rows(ctx: PolicyContext) -> None:
    if ctx.inputs.rows.size < 2:
        raise EstimationError(f"fewer than 2 logged rows have log-probabilities for {ctx.policy}")
