"""Which policy is best, said so that a program can act on it.

The rule: the highest estimate among the policies whose estimate was not
refused is the best policy only when that estimate is not flagged and it
beats every other ranked policy in paired tests on the differences (over the
same prompts, p-values adjusted across the family: Holm by default). An
estimator without paired comparisons falls back to marginal intervals: the
best's interval must lie wholly above the runner-up's.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from cje.analysis.comparisons import LOGGER, EstimatorComparisons
from cje.analysis.registry import get_spec
from cje.analysis.run import AnalysisResult, Failure

METHOD = "non-overlapping-intervals"
PAIRED_METHOD = "paired-tests-{adjustment}"


class BestPolicyCode(StrEnum):
    """Why ``best_policy`` is a name or null (the description documents each)."""

    SEPARATED = "separated"
    TOP_FLAGGED = "top-flagged"
    NOT_SEPARATED = "not-separated"
    ONE_CANDIDATE = "one-candidate"
    NO_CANDIDATE = "no-candidate"

    @property
    def description(self) -> str:
        return BEST_POLICY_DESCRIPTIONS[self]


BEST_POLICY_DESCRIPTIONS: dict[BestPolicyCode, str] = {
    BestPolicyCode.SEPARATED: "the highest estimate beats every other ranked policy in paired tests after "
                              "multiplicity adjustment (or, without paired comparisons, its interval lies wholly "
                              "above the runner-up's): best_policy names it",
    BestPolicyCode.TOP_FLAGGED: "the highest estimate is flagged (status warn), so it cannot establish a best "
                                "policy: best_policy is null",
    BestPolicyCode.NOT_SEPARATED: "the paired tests cannot separate the highest estimate from another ranked "
                                  "policy (a near-tie; without paired comparisons: the two highest intervals "
                                  "overlap): best_policy is null",
    BestPolicyCode.ONE_CANDIDATE: "only one policy has an estimate that was not refused; there is nothing to "
                                  "rank it against: best_policy is null",
    BestPolicyCode.NO_CANDIDATE: "every policy's estimate was refused or could not be computed: best_policy is null",
}


@dataclass(frozen=True)
class BestPolicy:
    """The verdict: ``policy`` is None unless ``code`` is ``separated``.
    ``not_ranked`` lists the policies left out because their estimate was
    refused or failed."""

    policy: str | None
    code: BestPolicyCode
    message: str
    estimator: str
    runner_up: str | None
    not_ranked: tuple[str, ...]
    method: str = METHOD

    def __str__(self) -> str:
        return self.message


def headline_estimator(result: AnalysisResult) -> str:
    """The estimator the best policy is judged by: the one of best headline
    rank among those run, else the first run."""
    ranked = [(spec.headline_rank, name) for name in result.settings.estimators
              if (spec := get_spec(name)).headline_rank is not None]
    return min(ranked)[1] if ranked else result.settings.estimators[0]


def best_policy(result: AnalysisResult, estimator: str | None = None) -> BestPolicy:
    """The best policy by ``estimator`` (default: :func:`headline_estimator`):
    from its paired comparisons when it has them, else from its intervals."""
    estimator = estimator or headline_estimator(result)
    comparisons = result.comparisons.get(estimator)
    if comparisons is not None:
        return _by_paired_tests(result, estimator, comparisons)
    return _by_intervals(result, estimator)


def _by_paired_tests(result: AnalysisResult, estimator: str, comparisons: EstimatorComparisons) -> BestPolicy:
    from cje.report.comparisons import best_policy_text

    paired = comparisons.best()
    ranked = [p for p in comparisons.ranking if p != LOGGER]
    not_ranked = tuple(paired.refused)
    method = PAIRED_METHOD.format(adjustment=comparisons.adjustment)
    skipped = f" Not ranked (refused): {', '.join(not_ranked)}." if not_ranked else ""
    top = paired.policy
    if top is None or not ranked:
        return BestPolicy(None, BestPolicyCode.NO_CANDIDATE,
                          f"{estimator}: no policy can be called best: every estimate was refused.{skipped}",
                          estimator, None, not_ranked, method)
    runner_up = ranked[1] if len(ranked) > 1 else None
    if result.statuses[(estimator, top)].level != "ok":
        return BestPolicy(None, BestPolicyCode.TOP_FLAGGED,
                          f"{estimator}: {top} has the highest estimate ({comparisons.value(top):.3f}), but that "
                          f"estimate is flagged (reasons above), so no policy is established as best.{skipped}",
                          estimator, runner_up, not_ranked, method)
    if runner_up is None:
        return BestPolicy(None, BestPolicyCode.ONE_CANDIDATE,
                          f"{estimator}: {top} ({comparisons.value(top):.3f}) is the only policy whose estimate was "
                          f"not refused; it has nothing to be ranked against.{skipped}",
                          estimator, None, not_ranked, method)
    claim = best_policy_text(comparisons)
    if paired.established:
        return BestPolicy(top, BestPolicyCode.SEPARATED, claim, estimator, runner_up, not_ranked, method)
    return BestPolicy(None, BestPolicyCode.NOT_SEPARATED, claim, estimator, paired.tied_with[0], not_ranked, method)


def _by_intervals(result: AnalysisResult, estimator: str) -> BestPolicy:
    level = result.settings.ci_level
    candidates = []
    refused = []
    for policy in result.policies:
        outcome = result.results.get((estimator, policy))
        status = result.statuses.get((estimator, policy))
        if outcome is None or status is None:
            continue
        if isinstance(outcome, Failure) or status.refused:
            refused.append(policy)
        else:
            candidates.append((outcome.value, policy, outcome.ci(level), str(status.level)))
    candidates.sort(key=lambda c: -c[0])
    not_ranked = tuple(refused)
    skipped = f" Not ranked (refused): {', '.join(refused)}." if refused else ""
    if not candidates:
        return BestPolicy(None, BestPolicyCode.NO_CANDIDATE,
                          f"{estimator}: no policy can be called best: every estimate was refused.",
                          estimator, None, not_ranked)
    value, best, (low, _), level_of_best = candidates[0]
    if level_of_best != "ok":
        return BestPolicy(None, BestPolicyCode.TOP_FLAGGED,
                          f"{estimator}: {best} has the highest estimate ({value:.3f}), but that estimate is flagged "
                          f"(reasons above), so no policy is established as best.{skipped}",
                          estimator, candidates[1][1] if len(candidates) > 1 else None, not_ranked)
    if len(candidates) == 1:
        return BestPolicy(None, BestPolicyCode.ONE_CANDIDATE,
                          f"{estimator}: {best} ({value:.3f}) is the only policy whose estimate was not refused; "
                          f"it has nothing to be ranked against.{skipped}", estimator, None, not_ranked)
    runner_value, runner, (_, runner_high), _ = candidates[1]
    if low > runner_high:
        return BestPolicy(best, BestPolicyCode.SEPARATED,
                          f"{estimator}: best policy is {best} ({value:.3f}), ahead of {runner} "
                          f"({runner_value:.3f}); the {level:.0%} intervals do not overlap.{skipped}",
                          estimator, runner, not_ranked)
    return BestPolicy(None, BestPolicyCode.NOT_SEPARATED,
                      f"{estimator}: no best policy established: {best} ({value:.3f}) leads {runner} "
                      f"({runner_value:.3f}) but their {level:.0%} intervals overlap.{skipped}",
                      estimator, runner, not_ranked)
