"""The whole analysis: rewards -> weights -> estimators -> inference -> gates.

Pure computation on a loaded :class:`Dataset`; no files, no printing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

import numpy as np

from cje.analysis.inputs import PolicyInputs, PromptIndex, policy_inputs, prompt_index
from cje.analysis.runners import RUNNERS, PolicyContext, uses_own_labels
from cje.analysis.settings import DR_COMPONENTS, AnalysisSettings
from cje.calibration.folds import calibration_folds_for, folds_from_hash, stable_hash
from cje.calibration.oracle_slice import select_oracle_slice
from cje.calibration.rewards import RewardModel, fit_reward_model, logged_outcomes
from cje.calibration.weights import calibrate_weights
from cje.data.tables import Dataset
from cje.diagnostics.calibration import label_support
from cje.diagnostics.gates import CalibrationFacts, Status, gate
from cje.diagnostics.transport import TransportCheck, transport_check
from cje.diagnostics.weights import WeightDiagnostics, weight_diagnostics
from cje.errors import CJEError, EstimationError, InsufficientLabelsError
from cje.estimators.result import Estimate
from cje.estimators.stacking import stack
from cje.inference.bootstrap import cluster_bootstrap_direct


@dataclass(frozen=True)
class Failure:
    """An estimator that could not run for a policy, and why."""

    estimator: str
    policy: str
    reason: str


@dataclass(frozen=True)
class RewardSummary:
    """How rewards were obtained."""

    source: str
    n_available_labels: int
    n_kept_labels: int
    n_outcomes: int
    n_folds: int
    out_of_fold_rmse: float
    jackknife_groups: int
    model: RewardModel = field(repr=False)


@dataclass(frozen=True)
class PolicySummary:
    policy: str
    n_logged: int
    n_analysed: int
    n_dropped_logprob: int
    n_fresh: int
    n_dr_dropped: int
    weights: WeightDiagnostics | None
    transport: TransportCheck | None
    label_support: float | None
    inputs: PolicyInputs = field(repr=False)
    calibrated_weight: np.ndarray | None = field(default=None, repr=False)


@dataclass(frozen=True)
class AnalysisResult:
    settings: AnalysisSettings
    rewards: RewardSummary | None
    reward_error: str | None
    policies: Mapping[str, PolicySummary]
    results: Mapping[tuple[str, str], Estimate | Failure]
    statuses: Mapping[tuple[str, str], Status]

    def estimate(self, estimator: str, policy: str) -> Estimate:
        result = self.results[(estimator, policy)]
        if isinstance(result, Failure):
            raise EstimationError(result.reason)
        return result


def analyze(dataset: Dataset, settings: AnalysisSettings) -> AnalysisResult:
    prompts = prompt_index(dataset, stable_hash(dataset.logged.prompt_id))
    model, reward_error = _reward_model(dataset, settings, prompts)
    policies = _policies(dataset, settings)
    contexts, summaries = {}, {}
    for policy in policies:
        inputs = policy_inputs(dataset, policy, prompts)
        contexts[policy], summaries[policy] = _policy_context(dataset, inputs, model, settings)

    results: dict[tuple[str, str], Estimate | Failure] = {}
    for name in settings.computed_estimators:
        if name == "stacked-dr":
            continue
        for policy, ctx in contexts.items():
            results[(name, policy)] = _point(name, ctx, model, reward_error)
    if model is not None and model.calibrated:
        _add_jackknife(results, contexts, model, dataset, settings, prompts)
    if "stacked-dr" in settings.computed_estimators:
        for policy in contexts:
            results[("stacked-dr", policy)] = _stacked(results, policy)
    if settings.inference == "bootstrap" and "direct" in settings.estimators and model is not None:
        _add_bootstrap(results, contexts, model, settings, prompts)
    results = {k: v for k, v in results.items() if k[0] in settings.estimators}
    statuses = {key: _status(result, summaries[key[1]], model, settings) for key, result in results.items()}
    summary = _reward_summary(dataset, model, settings)
    return AnalysisResult(
        settings=settings,
        rewards=summary,
        reward_error=reward_error,
        policies=MappingProxyType(summaries),
        results=MappingProxyType(results),
        statuses=MappingProxyType(statuses),
    )


def _policies(dataset: Dataset, settings: AnalysisSettings) -> tuple[str, ...]:
    available = dataset.logged.policies
    if settings.policies is None:
        return available
    missing = [p for p in settings.policies if p not in available]
    if missing:
        raise CJEError(f"policies {missing} have no log-probabilities in the dataset; it has {available}")
    return tuple(settings.policies)


def _oracle_mask(dataset: Dataset, settings: AnalysisSettings) -> np.ndarray:
    logged = dataset.logged
    return select_oracle_slice(
        logged.prompt_id, logged.label_available, settings.oracle_coverage, seed=settings.seed
    )


def _reward_model(dataset, settings, prompts: PromptIndex) -> tuple[RewardModel | None, str | None]:
    logged = dataset.logged
    outcome, mask = logged_outcomes(logged.oracle_label, _oracle_mask(dataset, settings), logged.reward)
    try:
        n_folds = calibration_folds_for(int(mask.sum()), settings.calibration_folds)
    except InsufficientLabelsError as error:
        return None, str(error)
    fold = folds_from_hash(prompts.prompt_hash, n_folds)
    return fit_reward_model(prompts.judge, outcome, mask, logged.reward, fold, n_folds), None


def _policy_context(dataset, inputs: PolicyInputs, model: RewardModel | None, settings):
    logged = dataset.logged
    weights = transport = calibrated = support = None
    if inputs.rows.size >= 2:
        calibrated = calibrate_weights(
            inputs.weight, inputs.judge, inputs.weight_fold,
            variance_cap=settings.variance_cap,
        )
        weights = weight_diagnostics(inputs.weight, calibrated.weight)
    if model is not None and inputs.has_fresh:
        transport = transport_check(
            inputs.fresh_oracle, model.predict(inputs.fresh_levels), inputs.direct_fresh_cluster
        )
        support = label_support(inputs.fresh_judge, logged.judge_score[model.outcome_mask])
    ctx = PolicyContext(inputs=inputs, calibrated=calibrated, mrdr_omega=settings.mrdr_omega)
    summary = PolicySummary(
        policy=inputs.policy,
        n_logged=logged.n,
        n_analysed=int(inputs.rows.size),
        n_dropped_logprob=inputs.n_dropped_logprob,
        n_fresh=int(inputs.fresh_judge.size),
        n_dr_dropped=inputs.n_dr_dropped,
        weights=weights,
        transport=transport,
        label_support=support,
        inputs=inputs,
        calibrated_weight=None if calibrated is None else calibrated.weight,
    )
    return ctx, summary


def _point(name: str, ctx: PolicyContext, model: RewardModel | None, reward_error: str | None):
    if model is None and name != "naive-direct":
        return Failure(name, ctx.policy, f"no rewards: {reward_error}")
    if ctx.calibrated is None and name in ("calibrated-ips", "calibrated-dr-cpo", "mrdr", "tmle"):
        return Failure(name, ctx.policy, f"fewer than 2 logged rows have log-probabilities for {ctx.policy}")
    try:
        return RUNNERS[name](ctx, model)
    except EstimationError as error:
        return Failure(name, ctx.policy, str(error))


def jackknife_models(dataset: Dataset, model: RewardModel, settings: AnalysisSettings,
                     prompts: PromptIndex) -> list[RewardModel]:
    """The reward model refitted without each oracle fold in turn.

    Oracle folds split the kept oracle labels by a stable hash of prompt_id
    (independent of the cross-fitting folds, which every refit keeps).
    Precomputed rewards are data, not labels, and are never deleted.
    """
    logged = dataset.logged
    deletable = _deletable_labels(dataset, model)
    n_groups = _jackknife_groups(deletable, settings)
    group = folds_from_hash(prompts.prompt_hash, n_groups, stream=1)
    models = []
    for g in range(n_groups):
        drop = deletable & (group == g)
        if not drop.any():
            continue
        models.append(fit_reward_model(
            prompts.judge, model.outcome, model.outcome_mask & ~drop, logged.reward,
            model.fold, model.n_folds,
        ))
    return models


def _deletable_labels(dataset: Dataset, model: RewardModel) -> np.ndarray:
    return model.outcome_mask & ~np.isfinite(dataset.logged.reward)


def _jackknife_groups(deletable: np.ndarray, settings: AnalysisSettings) -> int:
    """At most ``jackknife_folds`` groups, and at least two labels per group."""
    return int(min(settings.jackknife_folds, max(2, deletable.sum() // 2)))


def _add_jackknife(results, contexts, model, dataset, settings, prompts: PromptIndex) -> None:
    refits = jackknife_models(dataset, model, settings, prompts)
    for (name, policy), estimate in list(results.items()):
        if isinstance(estimate, Failure) or name == "naive-direct":
            continue
        try:
            replicates = np.array([RUNNERS[name](contexts[policy], refit).value for refit in refits])
        except EstimationError as error:
            results[(name, policy)] = Failure(name, policy, f"oracle jackknife failed: {error}")
            continue
        results[(name, policy)] = estimate.with_calibration(replicates)


def _stacked(results, policy: str) -> Estimate | Failure:
    components = [results[(name, policy)] for name in DR_COMPONENTS]
    failed = [c for c in components if isinstance(c, Failure)]
    if failed:
        return Failure("stacked-dr", policy, f"component {failed[0].estimator} failed: {failed[0].reason}")
    return stack(components, policy=policy)


def _add_bootstrap(results, contexts, model: RewardModel, settings: AnalysisSettings,
                   prompts: PromptIndex) -> None:
    rng = np.random.default_rng(settings.seed)
    labelled = model.outcome_mask
    for policy, ctx in contexts.items():
        estimate = results.get(("direct", policy))
        if not isinstance(estimate, Estimate):
            continue
        i = ctx.inputs
        replicates = cluster_bootstrap_direct(
            i.fresh_levels, i.direct_fresh_cluster,
            prompts.judge.take(labelled), model.outcome[labelled], model.fold[labelled],
            i.direct_logged_cluster[labelled], i.n_direct_clusters,
            n_boot=settings.n_bootstrap, rng=rng,
            own_labels=i.fresh_oracle if uses_own_labels(i) else None,
        )
        results[("direct", policy)] = estimate.with_bootstrap(replicates)


def _status(result, summary: PolicySummary, model: RewardModel | None, settings) -> Status:
    if isinstance(result, Failure):
        return Status("refuse", (result.reason,))
    facts = None
    if model is not None:
        facts = CalibrationFacts(model.calibrated, model.n_outcomes, model.out_of_fold_rmse)
    return gate(result, summary.weights, facts, summary.transport, summary.label_support,
                ci_level=settings.ci_level)


def _reward_summary(dataset: Dataset, model: RewardModel | None, settings) -> RewardSummary | None:
    if model is None:
        return None
    kept = _oracle_mask(dataset, settings)
    groups = _jackknife_groups(_deletable_labels(dataset, model), settings) if model.calibrated else 0
    return RewardSummary(
        source=model.source.value,
        n_available_labels=int(dataset.logged.label_available.sum()),
        n_kept_labels=int(kept.sum()),
        n_outcomes=model.n_outcomes,
        n_folds=model.n_folds,
        out_of_fold_rmse=model.out_of_fold_rmse,
        jackknife_groups=groups,
        model=model,
    )
