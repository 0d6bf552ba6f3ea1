"""The whole analysis: rewards -> weights -> estimators -> inference -> gates.

Pure computation on a loaded :class:`Dataset`; no files, no printing. Each
stage takes the previous stage's values and returns new ones.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

import numpy as np

from cje.analysis.inputs import PolicyInputs, PromptIndex, policy_inputs, prompt_index
from cje.analysis.oracle import (
    RewardFit,
    deletable_labels,
    fit_rewards,
    jackknife_groups,
    jackknife_models,
)
from cje.analysis.registry import get_spec
from cje.analysis.runners import PolicyContext, uses_own_labels
from cje.analysis.settings import AnalysisSettings
from cje.calibration.folds import stable_hash
from cje.calibration.rewards import RewardModel
from cje.calibration.weights import CalibratedWeights, calibrate_weights
from cje.data.tables import Dataset
from cje.diagnostics.calibration import label_support
from cje.diagnostics.gates import CalibrationFacts, PolicyFacts, Status, gate
from cje.diagnostics.transport import TransportCheck, transport_check
from cje.diagnostics.weights import WeightDiagnostics, weight_diagnostics
from cje.errors import CJEError, EstimationError
from cje.estimators.result import Estimate
from cje.inference.bootstrap import cluster_bootstrap_direct


@dataclass(frozen=True)
class Failure:
    """An estimator that could not run for a policy, and why."""

    estimator: str
    policy: str
    reason: str


Outcome = Estimate | Failure
Key = tuple[str, str]
"""(estimator, policy)"""


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
    """One target policy: its inputs, its weights and their diagnostics."""

    policy: str
    n_logged: int
    weights: WeightDiagnostics | None
    transport: TransportCheck | None
    label_support: float | None
    inputs: PolicyInputs = field(repr=False)
    calibrated: CalibratedWeights | None = field(default=None, repr=False)

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


@dataclass(frozen=True)
class AnalysisResult:
    settings: AnalysisSettings
    rewards: RewardSummary | None
    reward_error: str | None
    policies: Mapping[str, PolicySummary]
    results: Mapping[Key, Outcome]
    statuses: Mapping[Key, Status]

    def estimate(self, estimator: str, policy: str) -> Estimate:
        result = self.results[(estimator, policy)]
        if isinstance(result, Failure):
            raise EstimationError(result.reason)
        return result


def analyze(dataset: Dataset, settings: AnalysisSettings) -> AnalysisResult:
    prompts = prompt_index(dataset, stable_hash(dataset.logged.prompt_id))
    rewards = fit_rewards(dataset, settings, prompts)
    summaries = {
        policy: summarize_policy(dataset, policy_inputs(dataset, policy, prompts), rewards.model, settings)
        for policy in _policies(dataset, settings)
    }
    contexts = {p: PolicyContext(s.inputs, s.calibrated, settings.mrdr_omega) for p, s in summaries.items()}
    outcomes = point_estimates(contexts, rewards, settings)
    model = rewards.model
    if model is not None and model.calibrated:
        outcomes = with_jackknife(outcomes, contexts, jackknife_models(dataset, model, settings, prompts))
    outcomes = with_combined(outcomes, tuple(summaries), settings)
    if settings.inference == "bootstrap" and model is not None:
        outcomes = with_bootstrap(outcomes, contexts, model, settings, prompts)
    results = {key: outcome for key, outcome in outcomes.items() if key[0] in settings.estimators}
    statuses = {key: status_of(outcome, summaries[key[1]], model, settings) for key, outcome in results.items()}
    return AnalysisResult(
        settings=settings,
        rewards=_reward_summary(dataset, rewards, settings),
        reward_error=rewards.error,
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


def summarize_policy(dataset: Dataset, inputs: PolicyInputs, model: RewardModel | None,
                     settings: AnalysisSettings) -> PolicySummary:
    """Calibrated weights and every per-policy diagnostic, computed once."""
    weights = transport = calibrated = support = None
    if inputs.rows.size >= 2:
        calibrated = calibrate_weights(
            inputs.weight, inputs.judge, inputs.weight_fold, variance_cap=settings.variance_cap,
        )
        weights = weight_diagnostics(inputs.weight, calibrated.weight)
    if model is not None and inputs.has_fresh:
        transport = transport_check(
            inputs.fresh_oracle, model.predict(inputs.fresh_levels), inputs.direct_fresh_cluster
        )
        support = label_support(inputs.fresh_judge, dataset.logged.judge_score[model.outcome_mask])
    return PolicySummary(
        policy=inputs.policy,
        n_logged=dataset.logged.n,
        weights=weights,
        transport=transport,
        label_support=support,
        inputs=inputs,
        calibrated=calibrated,
    )


def point_estimates(contexts: Mapping[str, PolicyContext], rewards: RewardFit,
                    settings: AnalysisSettings) -> dict[Key, Outcome]:
    """Every per-policy estimator (combined ones come later) for every policy."""
    outcomes: dict[Key, Outcome] = {}
    for name in settings.computed_estimators:
        if get_spec(name).run is None:
            continue
        for policy, ctx in contexts.items():
            outcomes[(name, policy)] = _run(name, ctx, rewards)
    return outcomes


def _run(name: str, ctx: PolicyContext, rewards: RewardFit) -> Outcome:
    spec = get_spec(name)
    if spec.needs_rewards and rewards.model is None:
        return Failure(name, ctx.policy, f"no rewards: {rewards.error}")
    if spec.needs_calibrated_weights and ctx.calibrated is None:
        return Failure(name, ctx.policy, f"fewer than 2 logged rows have log-probabilities for {ctx.policy}")
    if spec.run is None:
        raise ValueError(f"{name} combines other estimators; it has no runner")
    try:
        return spec.run(ctx, rewards.model)
    except EstimationError as error:
        return Failure(name, ctx.policy, str(error))


def with_jackknife(outcomes: Mapping[Key, Outcome], contexts: Mapping[str, PolicyContext],
                   refits: tuple[RewardModel, ...]) -> dict[Key, Outcome]:
    """Each rewards-based estimate plus its calibration variance: the estimator
    rerun under every refitted reward model."""
    updated: dict[Key, Outcome] = {}
    for (name, policy), outcome in outcomes.items():
        spec = get_spec(name)
        if isinstance(outcome, Failure) or not spec.needs_rewards or spec.run is None:
            updated[(name, policy)] = outcome
            continue
        try:
            replicates = np.array([spec.run(contexts[policy], refit).value for refit in refits])
        except EstimationError as error:
            updated[(name, policy)] = Failure(name, policy, f"oracle jackknife failed: {error}")
            continue
        updated[(name, policy)] = outcome.with_calibration(replicates)
    return updated


def with_combined(outcomes: Mapping[Key, Outcome], policies: tuple[str, ...],
                  settings: AnalysisSettings) -> dict[Key, Outcome]:
    """Add the estimators that combine other estimators' results."""
    updated = dict(outcomes)
    for name in settings.computed_estimators:
        spec = get_spec(name)
        if spec.combine is None:
            continue
        for policy in policies:
            components = [outcomes[(c, policy)] for c in spec.components]
            failed = [c for c in components if isinstance(c, Failure)]
            if failed:
                updated[(name, policy)] = Failure(
                    name, policy, f"component {failed[0].estimator} failed: {failed[0].reason}")
                continue
            updated[(name, policy)] = spec.combine([c for c in components if isinstance(c, Estimate)])
    return updated


def with_bootstrap(outcomes: Mapping[Key, Outcome], contexts: Mapping[str, PolicyContext], model: RewardModel,
                   settings: AnalysisSettings, prompts: PromptIndex) -> dict[Key, Outcome]:
    """``direct`` estimates with their uncertainty from a prompt-cluster
    bootstrap that refits the calibrator."""
    rng = np.random.default_rng(settings.seed)
    labelled = model.outcome_mask
    updated = dict(outcomes)
    for policy, ctx in contexts.items():
        estimate = outcomes.get(("direct", policy))
        if not isinstance(estimate, Estimate):
            continue
        i = ctx.inputs
        replicates = cluster_bootstrap_direct(
            fresh_judge=i.fresh_levels, fresh_cluster=i.direct_fresh_cluster,
            judge_score=prompts.judge.take(labelled), outcome=model.outcome[labelled],
            fold=model.fold[labelled], logged_cluster=i.direct_logged_cluster[labelled],
            n_clusters=i.n_direct_clusters, n_boot=settings.n_bootstrap, rng=rng,
            own_labels=i.fresh_oracle if uses_own_labels(i) else None,
        )
        updated[("direct", policy)] = estimate.with_bootstrap(replicates)
    return updated


def status_of(outcome: Outcome, summary: PolicySummary, model: RewardModel | None,
              settings: AnalysisSettings) -> Status:
    if isinstance(outcome, Failure):
        return Status("refuse", (outcome.reason,))
    calibration = None
    if model is not None:
        calibration = CalibrationFacts(model.calibrated, model.n_outcomes, model.out_of_fold_rmse)
    facts = PolicyFacts(weights=summary.weights, calibration=calibration, transport=summary.transport,
                        label_support=summary.label_support)
    return gate(outcome, get_spec(outcome.estimator).gates, facts, ci_level=settings.ci_level)


def _reward_summary(dataset: Dataset, rewards: RewardFit, settings: AnalysisSettings) -> RewardSummary | None:
    model = rewards.model
    if model is None:
        return None
    groups = jackknife_groups(deletable_labels(dataset, model), settings) if model.calibrated else 0
    return RewardSummary(
        source=model.source.value,
        n_available_labels=int(dataset.logged.label_available.sum()),
        n_kept_labels=int(rewards.oracle_mask.sum()),
        n_outcomes=model.n_outcomes,
        n_folds=model.n_folds,
        out_of_fold_rmse=model.out_of_fold_rmse,
        jackknife_groups=groups,
        model=model,
    )
