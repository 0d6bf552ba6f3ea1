"""The whole analysis: rewards -> weights -> estimators -> inference -> gates.

Pure computation on a loaded :class:`Dataset`; no files, no printing. Each
stage takes the previous stage's values and returns new ones.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType

import numpy as np

from cje.analysis.calibration_choice import CalibrationChoice
from cje.analysis.comparisons import (
    LOGGER,
    EstimatorComparisons,
    PromptSpace,
    comparisons_for,
    joint_direct_bootstrap,
    logger_estimate,
    prompt_space,
)
from cje.analysis.inputs import PromptIndex, policy_inputs, prompt_index
from cje.analysis.oracle import (
    RewardFit,
    deletable_labels,
    fit_rewards,
    jackknife_groups,
    jackknife_models,
)
from cje.analysis.policy import PolicySummary, summarize_policy
from cje.analysis.registry import get_spec
from cje.analysis.runners import PolicyContext, choose_mrdr_outcome, should_use_own_labels
from cje.analysis.settings import AnalysisSettings
from cje.calibration.folds import folds_from_hash, stable_hash
from cje.calibration.rewards import RewardModel
from cje.data.tables import Dataset
from cje.diagnostics.gates import CalibrationFacts, Level, PolicyFacts, Status, Use, gate
from cje.diagnostics.judge import JudgeInformation, judge_information
from cje.diagnostics.reasons import Reason, ReasonCode
from cje.diagnostics.transport import Audit
from cje.errors import CJEError, EstimationError
from cje.estimators.result import Estimate


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
    calibration: CalibrationChoice | None = None

    @property
    def calibration_text(self) -> str:
        """How the judge -> oracle map was fitted, in words."""
        if self.calibration is None:
            return "monotone in the judge score"
        return self.calibration.describe()


@dataclass(frozen=True)
class AnalysisResult:
    settings: AnalysisSettings
    rewards: RewardSummary | None
    reward_error: str | None
    policies: Mapping[str, PolicySummary]
    results: Mapping[Key, Outcome]
    statuses: Mapping[Key, Status]
    judge: JudgeInformation | None = None
    comparisons: Mapping[str, EstimatorComparisons] = field(default_factory=lambda: MappingProxyType({}))
    logger: Estimate | None = None

    def estimate(self, estimator: str, policy: str) -> Estimate:
        result = self.results[(estimator, policy)]
        if isinstance(result, Failure):
            raise EstimationError(result.reason)
        return result


def analyze(dataset: Dataset, settings: AnalysisSettings) -> AnalysisResult:
    prompts = prompt_index(dataset, stable_hash(dataset.logged.prompt_id),
                           covariates=settings.calibration_covariates)
    rewards = fit_rewards(dataset, settings, prompts)
    model = rewards.model
    refits = jackknife_models(dataset, model, settings, prompts) if model is not None else ()
    summaries = {
        policy: summarize_policy(dataset, policy_inputs(dataset, policy, prompts), model, refits=refits,
                                 variance_cap=settings.variance_cap, margin=settings.transport_margin)
        for policy in _policies(dataset, settings)
    }
    contexts = {policy: _context(summary, settings, jackknifed=bool(refits))
                for policy, summary in summaries.items()}
    if "mrdr" in settings.computed_estimators:
        contexts = {policy: with_mrdr_outcome(ctx, model) for policy, ctx in contexts.items()}
    facts = _run_facts(dataset, model)
    outcomes = point_estimates(contexts, rewards, settings)
    if refits and model is not None:
        outcomes = with_jackknife(outcomes, contexts, refits, model)
    outcomes = with_combined(outcomes, summaries, facts, settings, prompts)
    space = prompt_space(dataset, {policy: summary.inputs for policy, summary in summaries.items()})
    logger = logger_estimate(model, prompts.judge, refits) if model is not None else None
    if settings.inference == "bootstrap" and model is not None:
        outcomes, logger = with_bootstrap(outcomes, contexts, model, settings, prompts, dataset=dataset,
                                          space=space, logger=logger)
    results = {key: outcome for key, outcome in outcomes.items() if key[0] in settings.estimators}
    statuses = {key: status_of(outcome, summaries[key[1]], facts, settings)
                for key, outcome in results.items()}
    comparisons = with_comparisons(results, statuses, summaries, logger=logger, dataset=dataset, space=space,
                                   settings=settings)
    return AnalysisResult(
        settings=settings,
        rewards=_reward_summary(dataset, rewards, settings),
        reward_error=rewards.error,
        policies=MappingProxyType(summaries),
        results=MappingProxyType(results),
        statuses=MappingProxyType(statuses),
        judge=facts.judge,
        comparisons=MappingProxyType(comparisons),
        logger=logger,
    )


@dataclass(frozen=True)
class RunFacts:
    """What the gates read about the run as a whole."""

    calibration: CalibrationFacts | None
    calibrated: bool

    @property
    def judge(self) -> JudgeInformation | None:
        return None if self.calibration is None else self.calibration.judge


def _run_facts(dataset: Dataset, model: RewardModel | None) -> RunFacts:
    if model is None:
        return RunFacts(None, False)
    labelled = model.outcome_mask
    judge = judge_information(dataset.logged.judge_score[labelled], model.outcome[labelled])
    calibration = CalibrationFacts(model.calibrated, model.n_outcomes, model.out_of_fold_rmse, judge)
    return RunFacts(calibration, model.calibrated)


def _context(summary: PolicySummary, settings: AnalysisSettings, *, jackknifed: bool) -> PolicyContext:
    passed = summary.transport is not None and summary.transport.audit is Audit.PASS
    return PolicyContext(summary.inputs, summary.calibrated, settings.mrdr_omega, jackknifed=jackknifed,
                         use_own_labels=should_use_own_labels(summary.inputs, passed))


def with_mrdr_outcome(ctx: PolicyContext, model: RewardModel | None) -> PolicyContext:
    """``ctx`` with MRDR's outcome model chosen on every label, kept by the
    refits (a choice remade in each refit would add its jitter to the
    jackknife, which already over-states an isotonic refit's noise at a few
    dozen labels). Where MRDR cannot run, its runner says why."""
    try:
        return replace(ctx, mrdr_outcome=choose_mrdr_outcome(ctx, model))
    except EstimationError:
        return ctx


def _policies(dataset: Dataset, settings: AnalysisSettings) -> tuple[str, ...]:
    available = dataset.logged.policies
    if settings.policies is None:
        return available
    missing = [p for p in settings.policies if p not in available]
    if missing:
        raise CJEError(f"policies {missing} have no log-probabilities in the dataset; it has {available}")
    return tuple(settings.policies)


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


def map_used(name: str, calibrated: bool) -> bool:
    """Whether estimator ``name`` relied on the judge -> oracle map: always when
    it scores fresh draws with it, otherwise only when the logged rewards were
    calibrated (with every row labelled, IPS uses the labels themselves)."""
    spec = get_spec(name)
    return spec.needs_rewards and (spec.needs_fresh_draws or calibrated)


def with_jackknife(outcomes: Mapping[Key, Outcome], contexts: Mapping[str, PolicyContext],
                   refits: tuple[RewardModel, ...], model: RewardModel) -> dict[Key, Outcome]:
    """Each estimate that relied on the fitted map, plus its calibration
    variance: the estimator rerun under every refitted reward model. Estimates
    corrected with the policy's own labels are unbiased given the map and
    take none."""
    updated: dict[Key, Outcome] = {}
    for (name, policy), outcome in outcomes.items():
        run = get_spec(name).run
        if isinstance(outcome, Failure) or run is None or outcome.own_labels or not map_used(name, model.calibrated):
            updated[(name, policy)] = outcome
            continue
        try:
            replicates = np.array([run(contexts[policy], refit).value for refit in refits])
        except EstimationError as error:
            updated[(name, policy)] = Failure(name, policy, f"oracle jackknife failed: {error}")
            continue
        updated[(name, policy)] = outcome.with_calibration(replicates)
    return updated


STACK_FOLDS = 5
# What makes one component unfit to stack (its SE cannot be trusted), as
# opposed to what refuses every component alike (transport, an empty judge):
# those leave the stack computed and refused by its own gates.
_UNRELIABLE_COMPONENT = (ReasonCode.HEAVY_TAIL, ReasonCode.LOW_OVERLAP, ReasonCode.NO_OVERLAP,
                         ReasonCode.SE_NOT_A_NUMBER, ReasonCode.SE_IMPLAUSIBLY_SMALL, ReasonCode.SE_TOO_LARGE)


def with_combined(outcomes: Mapping[Key, Outcome], summaries: Mapping[str, PolicySummary], facts: RunFacts,
                  settings: AnalysisSettings, prompts: PromptIndex) -> dict[Key, Outcome]:
    """Add the estimators that combine other estimators' results."""
    updated = dict(outcomes)
    for name in settings.computed_estimators:
        if get_spec(name).combine is None:
            continue
        for policy, summary in summaries.items():
            components = [outcomes[(c, policy)] for c in get_spec(name).components]
            statuses = [status_of(c, summary, facts, settings) for c in components]
            fold = folds_from_hash(prompts.prompt_hash[summary.inputs.dr_rows], STACK_FOLDS)
            updated[(name, policy)] = _combine(name, policy, components, statuses, fold)
    return updated


def _combine(name: str, policy: str, components: list[Outcome], statuses: list[Status],
             fold: np.ndarray) -> Outcome:
    """Combine the components whose standard errors can be trusted; when none
    can, combine every computed one and let the gates judge the result."""
    computed = [c for c in components if isinstance(c, Estimate)]
    usable = [c for c, s in zip(components, statuses) if isinstance(c, Estimate) and not _unreliable(s)]
    left_out = [c.estimator for c in components if not any(c is u for u in usable)]
    if not computed:
        return Failure(name, policy, f"no component could be computed ({', '.join(left_out)})")
    note = f"left out for unreliable standard errors: {', '.join(left_out)}"
    if not usable:
        usable, note = computed, "every component has an unreliable standard error; all were combined"
    combine = get_spec(name).combine
    assert combine is not None  # with_combined only calls this for combining estimators
    combined = combine(usable, fold)
    return replace(combined, notes=(*combined.notes, note)) if left_out else combined


def _unreliable(status: Status) -> bool:
    return status.has(*_UNRELIABLE_COMPONENT)


def with_bootstrap(outcomes: Mapping[Key, Outcome], contexts: Mapping[str, PolicyContext], model: RewardModel,
                   settings: AnalysisSettings, prompts: PromptIndex, *, dataset: Dataset, space: PromptSpace,
                   logger: Estimate | None) -> tuple[dict[Key, Outcome], Estimate | None]:
    """``direct`` estimates (and the logging policy's) with their uncertainty
    from a prompt-cluster bootstrap that refits the calibrator, drawn jointly
    for all policies so that differences can be bootstrapped too (those
    corrected with the policy's own labels keep their influence-function
    interval: the calibrator's error does not bias them)."""
    chosen = {policy: estimate for policy in contexts
              if isinstance(estimate := outcomes.get(("direct", policy)), Estimate) and not estimate.own_labels}
    if not chosen:
        return dict(outcomes), logger
    replicates = joint_direct_bootstrap(
        {policy: contexts[policy].inputs for policy in chosen}, model, prompts.judge, dataset, space,
        include_logger=logger is not None, n_boot=settings.n_bootstrap, rng=np.random.default_rng(settings.seed),
    )
    updated = dict(outcomes)
    for policy, estimate in chosen.items():
        updated[("direct", policy)] = estimate.with_bootstrap(replicates[policy])
    return updated, None if logger is None else logger.with_bootstrap(replicates[LOGGER])


def with_comparisons(results: Mapping[Key, Outcome], statuses: Mapping[Key, Status],
                     summaries: Mapping[str, PolicySummary], *, logger: Estimate | None, dataset: Dataset,
                     space: PromptSpace, settings: AnalysisSettings) -> dict[str, EstimatorComparisons]:
    """Paired comparisons of every estimator's estimates (see :mod:`cje.analysis.comparisons`)."""
    inputs = {policy: summary.inputs for policy, summary in summaries.items()}
    comparisons = {}
    for name in settings.estimators:
        outcomes = {p: o if isinstance(o, Estimate) else None for (e, p), o in results.items() if e == name}
        statuses_of = {p: s for (e, p), s in statuses.items() if e == name}
        uses_logger = get_spec(name).needs_rewards
        comparisons[name] = comparisons_for(name, outcomes, statuses_of, inputs,
                                            logger=logger if uses_logger else None, dataset=dataset, space=space,
                                            level=settings.ci_level, adjustment=settings.multiplicity)
    return comparisons


def status_of(outcome: Outcome, summary: PolicySummary, facts: RunFacts, settings: AnalysisSettings) -> Status:
    if isinstance(outcome, Failure):
        return Status(Level.REFUSE, (Reason(ReasonCode.NOT_COMPUTED, outcome.reason),))
    policy_facts = PolicyFacts(
        weights=summary.weights, mean_weight=summary.mean_weight, coverage=summary.coverage,
        weight_calibration_shift=summary.weight_calibration_shift, calibration=facts.calibration,
        transport=summary.transport, differences=summary.differences, label_support=summary.label_support,
    )
    use = Use(map_used=map_used(outcome.estimator, facts.calibrated), own_labels=outcome.own_labels)
    return gate(outcome, get_spec(outcome.estimator).gates, policy_facts, use, ci_level=settings.ci_level)


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
        calibration=rewards.choice,
    )
