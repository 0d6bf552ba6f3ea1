"""A label plan: the goal, the recommended allocation, what the usual fixed
oracle shares would cost instead, and the probe slice each policy needs."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from cje.errors import CJEError
from cje.planning.allocation import (
    Costs,
    Kind,
    Plan,
    Requirement,
    best_for_budget,
    cheapest_plan,
    fixed_ratio_plan,
)
from cje.planning.pilot import ProbeInputs
from cje.planning.probe import probe_labels_needed
from cje.planning.variance import Components, jackknife_groups

FIXED_FRACTIONS = (0.05, 0.10, 0.25, 0.50, 1.0)


@dataclass(frozen=True)
class Goal:
    """Exactly one of: a CI ``half_width`` for every policy, a
    ``detectable_difference`` for every pair (or ``pair``) at ``power``, or
    the best intervals a ``budget`` buys. ``family_size`` is the number of
    pairs the analysis will adjust over: a difference must be detectable at
    ``(1 - level) / family_size`` (Holm's first step)."""

    level: float = 0.95
    half_width: float | None = None
    detectable_difference: float | None = None
    pair: tuple[str, str] | None = None
    power: float = 0.8
    budget: float | None = None
    family_size: int = 1

    def __post_init__(self) -> None:
        given = [v is not None for v in (self.half_width, self.detectable_difference, self.budget)]
        if sum(given[:2]) != 1 and not (given[2] and not any(given[:2])):
            raise CJEError("give one goal: a half-width, a detectable difference, or a budget")
        if not 0 < self.level < 1 or not 0 < self.power < 1:
            raise CJEError("the confidence level and the power must be in (0, 1)")
        for value in (self.half_width, self.detectable_difference, self.budget):
            if value is not None and value <= 0:
                raise CJEError("the goal must be above zero")

    @property
    def kind(self) -> Kind:
        return Kind.DETECTABLE if self.detectable_difference is not None else Kind.HALF_WIDTH

    @property
    def test_level(self) -> float:
        """The confidence level a detectable difference is planned at."""
        return 1 - (1 - self.level) / max(self.family_size, 1)


def requirements(goal: Goal, policies: Sequence[Components], pairs: Sequence[Components]) -> list[Requirement]:
    """What each quantity must reach. With a budget, every policy's interval
    is made as narrow as it allows (targets all equal)."""
    if goal.detectable_difference is not None:
        chosen = list(pairs)
        if goal.pair is not None:
            names = {f"{goal.pair[0]} - {goal.pair[1]}", f"{goal.pair[1]} - {goal.pair[0]}"}
            chosen = [p for p in pairs if p.name in names]
            if not chosen:
                raise CJEError(f"no usable comparison of {goal.pair[0]} and {goal.pair[1]} in the pilot")
        if not chosen:
            raise CJEError("no usable pair of policies to plan a detectable difference for")
        return [Requirement(c, Kind.DETECTABLE, goal.detectable_difference, goal.test_level, goal.power)
                for c in chosen]
    target = goal.half_width if goal.half_width is not None else 1.0
    return [Requirement(c, Kind.HALF_WIDTH, target, goal.level) for c in policies]


@dataclass(frozen=True)
class ProbeAdvice:
    """Probe labels a policy needs for a decisive transport check: if the
    calibration transports (gap 0), and at the gap the pilot saw."""

    inputs: ProbeInputs
    if_transport_holds: int | None
    at_observed_gap: int | None
    calibration_se: float


@dataclass(frozen=True)
class LabelPlan:
    goal: Goal
    costs: Costs
    plan: Plan
    fixed: tuple[tuple[float, Plan | None], ...]
    probes: tuple[ProbeAdvice, ...]
    margin: float
    probe_power: float
    jackknife_folds: int
    policies: tuple[Components, ...] = ()
    pairs: tuple[Components, ...] = ()

    @property
    def jackknife_groups(self) -> int:
        return jackknife_groups(self.plan.n_labels, self.jackknife_folds)

    def half_widths(self) -> list[tuple[str, float]]:
        """Every policy's expected CI half-width under the plan."""
        return [(c.name, Requirement(c, Kind.HALF_WIDTH, 1.0, self.goal.level).achieved(
            self.plan.n_prompts, self.plan.n_labels, jackknife_folds=self.jackknife_folds)) for c in self.policies]

    def detectable(self) -> list[tuple[str, float]]:
        """Every pair's difference detectable with the goal's power under the plan."""
        return [(c.name, Requirement(c, Kind.DETECTABLE, 1.0, self.goal.test_level, self.goal.power).achieved(
            self.plan.n_prompts, self.plan.n_labels, jackknife_folds=self.jackknife_folds)) for c in self.pairs]


def make_plan(goal: Goal, costs: Costs, policies: Sequence[Components], pairs: Sequence[Components], *,
              probes: Sequence[ProbeInputs] = (), margin: float = 0.05, probe_power: float = 0.8,
              jackknife_folds: int = 10) -> LabelPlan:
    """The recommended allocation for ``goal`` and everything around it."""
    needs = requirements(goal, policies, pairs)
    try:
        if goal.budget is not None:
            plan = best_for_budget(needs, costs, goal.budget, jackknife_folds=jackknife_folds)
            fixed: tuple[tuple[float, Plan | None], ...] = ()
        else:
            plan = cheapest_plan(needs, costs, jackknife_folds=jackknife_folds)
            fixed = tuple((f, fixed_ratio_plan(needs, costs, f, jackknife_folds=jackknife_folds))
                          for f in FIXED_FRACTIONS)
    except ValueError as error:
        raise CJEError(str(error)) from error
    advice = tuple(_probe_advice(p, plan.n_labels, margin, probe_power) for p in probes)
    return LabelPlan(goal, costs, plan, fixed, advice, margin, probe_power, jackknife_folds, tuple(policies),
                     tuple(pairs))


def _probe_advice(inputs: ProbeInputs, n_labels: int, margin: float, power: float) -> ProbeAdvice:
    calibration_se = inputs.calibration_se_at(n_labels)

    def needed(gap: float) -> int | None:
        return probe_labels_needed(residual_sd=inputs.residual_sd, calibration_se=calibration_se, margin=margin,
                                   gap=gap, power=power)

    observed = None if inputs.observed_gap is None else needed(inputs.observed_gap)
    return ProbeAdvice(inputs, needed(0.0), observed, calibration_se)
