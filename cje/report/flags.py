"""The reasons behind a policy's flagged estimates, grouped: one entry per
distinct reason, listing every estimator it flags."""

from __future__ import annotations

from dataclasses import dataclass

from cje.analysis.run import AnalysisResult
from cje.diagnostics.reasons import ReasonCode


@dataclass(frozen=True)
class FlagGroup:
    """One reason (code and words) and the ``(estimator, level)`` pairs it flags."""

    code: ReasonCode
    message: str
    flagged: tuple[tuple[str, str], ...]

    @property
    def estimators(self) -> tuple[str, ...]:
        return tuple(estimator for estimator, _ in self.flagged)


def policy_flags(result: AnalysisResult, policy: str) -> list[FlagGroup]:
    """Reasons in the order first met (estimators in run order, refusals
    before warnings within an estimate)."""
    groups: dict[tuple[ReasonCode, str], list[tuple[str, str]]] = {}
    for estimator in result.settings.estimators:
        status = result.statuses.get((estimator, policy))
        if status is None:
            continue
        for reason in status.reasons:
            groups.setdefault((reason.code, reason.message), []).append((estimator, str(status.level)))
    return [FlagGroup(code, message, tuple(flagged)) for (code, message), flagged in groups.items()]
