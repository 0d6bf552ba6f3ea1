"""Paired comparisons of policies, and the best-policy claim they support.

For every estimator run, every pair of target policies (and each against the
logging policy) gets the difference of its estimates with a paired interval
(:mod:`cje.inference.paired`). The p-values of the pairs whose estimates were
not refused form one family per estimator and are adjusted together (Holm by
default, Benjamini-Hochberg on request). A policy is *established* as best
only when it beats every other non-refused policy after adjustment; otherwise
the policies it could not be separated from are named.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import dataclass, replace
from itertools import combinations

import numpy as np

from cje.analysis.inputs import PolicyInputs
from cje.analysis.registry import Family, get_spec
from cje.calibration.isotonic import ScoreLevels
from cje.calibration.rewards import RewardModel, cross_fit
from cje.data.keys import look_up, positions
from cje.data.tables import Dataset
from cje.diagnostics.gates import Status
from cje.estimators.direct import direct
from cje.estimators.result import Estimate, estimate_from_influence
from cje.inference.influence import prompt_mean_influence
from cje.inference.joint_bootstrap import BootstrapArm, Refitted, joint_cluster_bootstrap
from cje.inference.paired import Difference, adjust_p_values, paired_difference

LOGGER = "logger"
"""The name the logging policy goes by in comparisons."""


@dataclass(frozen=True)
class PromptSpace:
    """One integer code per prompt for every estimate of an analysis: logged
    prompts are their row positions, prompts seen only in fresh draws follow
    (``extra``: each such prompt id's position among them)."""

    n_logged: int
    extra: dict[Hashable, int]

    @property
    def size(self) -> int:
        return self.n_logged + len(self.extra)

    def extra_codes(self, prompt_id: np.ndarray) -> np.ndarray:
        """Codes of prompts seen only in fresh draws."""
        return self.n_logged + look_up(self.extra, prompt_id.tolist())


def prompt_space(dataset: Dataset, inputs: Mapping[str, PolicyInputs]) -> PromptSpace:
    """The codes of an analysis whose policies have ``inputs`` (fresh-only
    prompts are read off each policy's direct clusters, not looked up again)."""
    extras = [dataset.fresh[p].prompt_id[i.direct_fresh_cluster >= dataset.logged.n].tolist()
              for p, i in inputs.items() if i.has_fresh]
    return PromptSpace(dataset.logged.n, positions(dict.fromkeys(key for ids in extras for key in ids)))


def direct_cluster_codes(inputs: PolicyInputs, dataset: Dataset, space: PromptSpace) -> np.ndarray:
    """The prompt code of each of the policy's direct clusters."""
    codes = np.arange(inputs.n_direct_clusters, dtype=np.int64)
    extra = inputs.direct_fresh_cluster >= space.n_logged
    if extra.any():
        fresh_id = dataset.fresh[inputs.policy].prompt_id[extra]
        codes[inputs.direct_fresh_cluster[extra]] = space.extra_codes(fresh_id)
    return codes


def influence_codes(estimator: str, inputs: PolicyInputs, dataset: Dataset, space: PromptSpace) -> np.ndarray:
    """The prompt code of each influence position of ``estimator``'s estimate
    for the policy: direct estimators cluster over logged and fresh prompts,
    importance sampling over the analysed logged rows, DR over its prompts."""
    family = get_spec(estimator).family
    if family in (Family.DIRECT, Family.BASELINE):
        return direct_cluster_codes(inputs, dataset, space)
    if family is Family.IPS:
        return inputs.rows.astype(np.int64)
    return inputs.dr_rows.astype(np.int64)


def logger_estimate(model: RewardModel, judge: ScoreLevels, refits: tuple[RewardModel, ...]) -> Estimate:
    """The logging policy's value from its own logged rows: the mean outcome
    when every row has one, else the residual-corrected mean calibrated reward
    (the direct estimator with the logged responses as the draws), with the
    oracle jackknife over the same refits as every other estimate."""
    n = judge.codes.size
    cluster = np.arange(n)
    if not model.calibrated:
        value, influence = prompt_mean_influence(model.outcome, cluster, n)
        return estimate_from_influence("direct", LOGGER, value, influence)
    estimate = _logger_direct(model, judge, include_label_influence=not refits)
    if not refits:
        return estimate
    replicates = np.array([_logger_direct(r, judge, include_label_influence=False).value for r in refits])
    return estimate.with_calibration(replicates)


def _logger_direct(model: RewardModel, judge: ScoreLevels, *, include_label_influence: bool) -> Estimate:
    n = judge.codes.size
    labelled = model.outcome_mask
    return direct(model.predict(judge), fresh_cluster=np.arange(n),
                  residual=model.outcome[labelled] - model.out_of_fold[labelled],
                  residual_cluster=np.flatnonzero(labelled), n_clusters=n, policy=LOGGER,
                  include_label_influence=include_label_influence)


@dataclass(frozen=True)
class PairedComparison:
    """One pair's difference (higher estimate first) and its p-value adjusted
    across the estimator's family (None: outside the family, because an
    estimate of the pair was refused)."""

    difference: Difference
    p_adjusted: float | None

    def significant(self, alpha: float) -> bool:
        return self.p_adjusted is not None and self.p_adjusted < alpha


@dataclass(frozen=True)
class BestPolicy:
    """The highest non-refused estimate and whether the paired tests back it.

    ``established``: it beats every other non-refused policy after
    adjustment. ``tied_with``: those it could not be separated from.
    """

    estimator: str
    policy: str | None
    established: bool
    tied_with: tuple[str, ...]
    versus_logger: PairedComparison | None
    refused: tuple[str, ...]


@dataclass(frozen=True)
class EstimatorComparisons:
    """Every paired comparison of one estimator's estimates."""

    estimator: str
    adjustment: str
    level: float
    pairs: tuple[PairedComparison, ...]
    ranking: tuple[str, ...]
    refused: tuple[str, ...]
    values: tuple[tuple[str, float], ...] = ()

    def value(self, policy: str) -> float:
        """The estimate of ``policy`` these comparisons were made from."""
        return dict(self.values)[policy]

    @property
    def alpha(self) -> float:
        return 1.0 - self.level

    def pair(self, first: str, second: str) -> PairedComparison | None:
        """The comparison of ``first - second`` (either orientation is found)."""
        for p in self.pairs:
            d = p.difference
            if (d.first, d.second) == (first, second):
                return p
            if (d.second, d.first) == (first, second):
                return PairedComparison(d.reversed(), p.p_adjusted)
        return None

    def best(self) -> BestPolicy:
        refused = tuple(p for p in self.refused if p != LOGGER)
        targets = [p for p in self.ranking if p != LOGGER]
        if not targets:
            return BestPolicy(self.estimator, None, False, (), None, refused)
        top = targets[0]
        tied = tuple(p for p in targets[1:] if not self._beats(top, p))
        versus = self.pair(top, LOGGER)
        return BestPolicy(self.estimator, top, not tied, tied, versus, refused)

    def _beats(self, first: str, second: str) -> bool:
        comparison = self.pair(first, second)
        return comparison is not None and comparison.significant(self.alpha) and comparison.difference.value > 0


def compare_policies(
    estimates: Mapping[str, Estimate],
    refused: tuple[str, ...],
    codes: Mapping[str, np.ndarray],
    *,
    estimator: str,
    n_prompts: int,
    level: float,
    adjustment: str,
) -> EstimatorComparisons:
    """Every pair of ``estimates`` (higher value first); the pairs whose
    policies are both usable form the adjusted family. ``codes`` give each
    estimate's influence positions as prompt codes below ``n_prompts``."""
    order = sorted(estimates, key=lambda p: -estimates[p].value)
    differences = [paired_difference(estimates[a], codes[a], estimates[b], codes[b], n_prompts=n_prompts)
                   for a, b in combinations(order, 2)]
    in_family = np.array([d.first not in refused and d.second not in refused for d in differences], dtype=bool)
    p_values = np.array([d.p_value if use else np.nan for d, use in zip(differences, in_family)])
    adjusted = adjust_p_values(p_values, adjustment) if differences else np.empty(0)
    pairs = tuple(PairedComparison(d, float(p) if use and np.isfinite(p) else None)
                  for d, p, use in zip(differences, adjusted, in_family))
    ranking = tuple(p for p in order if p not in refused)
    values = tuple((p, estimates[p].value) for p in order)
    return EstimatorComparisons(estimator, adjustment, level, pairs, ranking, refused, values)


def comparisons_for(
    estimator: str,
    outcomes: Mapping[str, Estimate | None],
    statuses: Mapping[str, Status],
    inputs: Mapping[str, PolicyInputs],
    *,
    logger: Estimate | None,
    dataset: Dataset,
    space: PromptSpace,
    level: float,
    adjustment: str,
) -> EstimatorComparisons:
    """Comparisons of one estimator's estimates (None: not computed) plus the
    logging policy's, relabelled as this estimator's."""
    estimates = {p: e for p, e in outcomes.items() if e is not None}
    refused = tuple(p for p in outcomes if outcomes[p] is None or statuses[p].refused)
    codes = {p: influence_codes(estimator, inputs[p], dataset, space) for p in estimates}
    if logger is not None:
        estimates[LOGGER] = replace(logger, estimator=estimator)
        codes[LOGGER] = np.arange(dataset.logged.n, dtype=np.int64)
    return compare_policies(estimates, refused, codes, estimator=estimator, n_prompts=space.size, level=level,
                            adjustment=adjustment)


def joint_direct_bootstrap(
    inputs: Mapping[str, PolicyInputs],
    model: RewardModel,
    judge: ScoreLevels,
    dataset: Dataset,
    space: PromptSpace,
    *,
    include_logger: bool,
    n_boot: int,
    rng: np.random.Generator,
) -> dict[str, np.ndarray]:
    """Bootstrap replicates of the direct estimate of each policy in
    ``inputs`` (and of the logging policy's), drawn jointly: replicate ``b``
    of every policy comes from the same prompts and the same refitted map
    (the whole map, both stages of a two-stage one)."""
    arms = [BootstrapArm(p, i.fresh_levels, direct_cluster_codes(i, dataset, space)[i.direct_fresh_cluster])
            for p, i in inputs.items()]
    if include_logger:
        arms.append(BootstrapArm(LOGGER, judge, np.arange(dataset.logged.n)))
    labelled = np.flatnonzero(model.outcome_mask)
    def refit(score: ScoreLevels, outcome: np.ndarray, fold: np.ndarray, weight: np.ndarray) -> Refitted:
        return cross_fit(model.method, score, outcome, fold, weight=weight)

    matrix = joint_cluster_bootstrap(
        arms, judge_score=judge.take(labelled), outcome=model.outcome[labelled], fold=model.fold[labelled],
        logged_cluster=labelled, n_clusters=space.size, n_boot=n_boot, rng=rng, refit=refit,
    )
    return {arm.name: matrix[:, k] for k, arm in enumerate(arms)}
