"""How many prompts and oracle labels: the cheapest plan that meets a goal.

With cost ``c_n`` per prompt and ``c_m`` per oracle label, minimising
``c_n n + c_m m`` subject to ``a / n + b / m = V`` gives the square-root
allocation ``m / n = sqrt(b c_n / (a c_m))`` and the cost
``(sqrt(a c_n) + sqrt(b c_m))**2 / V``: spend on prompts and on labels in
proportion to the square roots of the variance each buys down, weighted by
price. Here the quantile of the interval also moves with the allocation (few
labels leave the oracle jackknife few degrees of freedom), several policies
must each meet the goal, and labels sit on logged prompts (``m <= n``), so the
optimum is found numerically over ``m``, each ``m`` with the fewest prompts
that meet every requirement.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum

import numpy as np

from cje.calibration.folds import MIN_ORACLE_LABELS
from cje.planning.variance import DEFAULT_JACKKNIFE_FOLDS, Components, one_sided, quantile

MAX_PROMPTS = 100_000_000
_GRID = 240


@dataclass(frozen=True)
class Costs:
    """Prices in any one unit. A prompt costs a judge score of its logged
    response plus, for each target policy, a fresh draw and its judge score."""

    judge: float
    oracle: float
    draw: float
    n_policies: int

    def __post_init__(self) -> None:
        if min(self.judge, self.oracle, self.draw) < 0 or self.oracle <= 0:
            raise ValueError("costs must be >= 0, and an oracle label must cost something")
        if self.n_policies < 1:
            raise ValueError("plan for at least one target policy")
        if self.per_prompt <= 0:
            raise ValueError("a prompt must cost something (judge or draw cost above zero)")

    @property
    def per_prompt(self) -> float:
        return self.judge * (1 + self.n_policies) + self.draw * self.n_policies

    def total(self, n_prompts: float, n_labels: float) -> float:
        return self.per_prompt * n_prompts + self.oracle * n_labels


class Kind(StrEnum):
    HALF_WIDTH = "half-width"
    DETECTABLE = "detectable difference"


@dataclass(frozen=True)
class Requirement:
    """``components`` must reach ``target``: a CI half-width at ``level``, or
    a difference detectable at two-sided ``level`` with ``power``."""

    components: Components
    kind: Kind
    target: float
    level: float = 0.95
    power: float = 0.8

    @property
    def name(self) -> str:
        return self.components.name

    def achieved(self, n_prompts: float, n_labels: float, *,
                 jackknife_folds: int = DEFAULT_JACKKNIFE_FOLDS) -> float:
        """The half-width (or detectable difference) this allocation gives."""
        c = self.components
        df = c.df(n_prompts, n_labels, jackknife_folds=jackknife_folds)
        multiplier = quantile(self.level, df)
        if self.kind is Kind.DETECTABLE:
            multiplier += one_sided(self.power, df)
        return multiplier * c.se(n_prompts, n_labels)


@dataclass(frozen=True)
class Plan:
    """An allocation and what it buys: each requirement's expected half-width
    (or detectable difference) and the total cost."""

    n_prompts: int
    n_labels: int
    cost: float
    achieved: tuple[tuple[str, float], ...]
    binding: str

    @property
    def oracle_fraction(self) -> float:
        return self.n_labels / self.n_prompts


def _plan(requirements: Sequence[Requirement], costs: Costs, n: int, m: int, folds: int) -> Plan:
    achieved = tuple((r.name, r.achieved(n, m, jackknife_folds=folds)) for r in requirements)
    slack = [value / r.target for r, (_, value) in zip(requirements, achieved)]
    return Plan(n, m, costs.total(n, m), achieved, requirements[int(np.argmax(slack))].name)


def _meets(requirements: Sequence[Requirement], n: int, m: int, folds: int) -> bool:
    return all(r.achieved(n, m, jackknife_folds=folds) <= r.target for r in requirements)


def fewest_prompts(requirements: Sequence[Requirement], n_labels: int, *,
                   jackknife_folds: int = DEFAULT_JACKKNIFE_FOLDS) -> int | None:
    """The fewest prompts (at least ``n_labels``) meeting every requirement
    with ``n_labels`` labels, or None when the labels' error alone is too big."""
    if not _meets(requirements, MAX_PROMPTS, n_labels, jackknife_folds):
        return None
    low, high = n_labels, MAX_PROMPTS
    if _meets(requirements, low, n_labels, jackknife_folds):
        return low
    while high - low > 1:
        middle = (low + high) // 2
        if _meets(requirements, middle, n_labels, jackknife_folds):
            high = middle
        else:
            low = middle
    return high


def cheapest_plan(requirements: Sequence[Requirement], costs: Costs, *,
                  jackknife_folds: int = DEFAULT_JACKKNIFE_FOLDS, min_labels: int = MIN_ORACLE_LABELS) -> Plan:
    """The cheapest (prompts, labels) meeting every requirement.

    Searched on a geometric grid of label counts, then label by label around
    the best grid point (the cost is unimodal in the label count).
    """
    if not requirements:
        raise ValueError("nothing to plan for: no requirement")
    for r in requirements:
        if r.target <= 0:
            raise ValueError(f"{r.name}: the target must be above zero")

    def cost(m: int) -> float:
        n = fewest_prompts(requirements, m, jackknife_folds=jackknife_folds)
        return math.inf if n is None else costs.total(n, m)

    grid = np.unique(np.geomspace(min_labels, MAX_PROMPTS // 10, _GRID).astype(int))
    values = [cost(int(m)) for m in grid]
    best = int(np.argmin(values))
    if not math.isfinite(values[best]):
        raise ValueError("no allocation meets the goal: the calibration error alone exceeds it at any label count")
    low = int(grid[max(best - 1, 0)])
    high = int(grid[min(best + 1, grid.size - 1)])
    m = _refine(cost, low, high)
    n = fewest_prompts(requirements, m, jackknife_folds=jackknife_folds)
    assert n is not None
    return _plan(requirements, costs, n, m, jackknife_folds)


def _refine(f: Callable[[int], float], low: int, high: int) -> int:
    """Ternary search for the integer in [low, high] minimising the unimodal ``f``."""
    while high - low > 3:
        a = low + (high - low) // 3
        b = high - (high - low) // 3
        if f(a) <= f(b):
            high = b
        else:
            low = a
    return min(range(low, high + 1), key=f)


def fixed_ratio_plan(requirements: Sequence[Requirement], costs: Costs, oracle_fraction: float, *,
                     jackknife_folds: int = DEFAULT_JACKKNIFE_FOLDS,
                     min_labels: int = MIN_ORACLE_LABELS) -> Plan | None:
    """The fewest prompts meeting every requirement when a fixed share of
    them is labelled (None: no size suffices)."""
    if not 0 < oracle_fraction <= 1:
        raise ValueError("the oracle fraction must be in (0, 1]")

    def labels(n: int) -> int:
        return max(min_labels, math.ceil(oracle_fraction * n))

    def meets(n: int) -> bool:
        return _meets(requirements, max(n, labels(n)), labels(n), jackknife_folds)

    if not meets(MAX_PROMPTS):
        return None
    low, high = 1, MAX_PROMPTS
    while high - low > 1:
        middle = (low + high) // 2
        if meets(middle):
            high = middle
        else:
            low = middle
    n = max(high, labels(high))
    return _plan(requirements, costs, n, labels(high), jackknife_folds)


def best_for_budget(requirements: Sequence[Requirement], costs: Costs, budget: float, *,
                    jackknife_folds: int = DEFAULT_JACKKNIFE_FOLDS, min_labels: int = MIN_ORACLE_LABELS) -> Plan:
    """The allocation of ``budget`` that minimises the worst ratio of achieved
    to target (targets only weight the requirements against each other)."""
    max_labels = int((budget - costs.per_prompt * min_labels) // (costs.oracle + costs.per_prompt))
    if max_labels < min_labels:
        raise ValueError(f"a budget of {budget:g} cannot buy {min_labels} labelled prompts "
                         f"({min_labels * (costs.oracle + costs.per_prompt):g} needed)")

    def worst(m: int) -> float:
        n = int((budget - costs.oracle * m) // costs.per_prompt)
        if n < m:
            return math.inf
        return max(r.achieved(n, m, jackknife_folds=jackknife_folds) / r.target for r in requirements)

    grid = np.unique(np.geomspace(min_labels, max_labels, _GRID).astype(int))
    values = [worst(int(m)) for m in grid]
    best = int(np.argmin(values))
    m = _refine(worst, int(grid[max(best - 1, 0)]), int(grid[min(best + 1, grid.size - 1)]))
    n = int((budget - costs.oracle * m) // costs.per_prompt)
    return _plan(requirements, costs, n, m, jackknife_folds)


def square_root_ratio(components: Components, costs: Costs) -> float:
    """The closed-form labels-per-prompt ratio for one quantity (normal quantile)."""
    if components.eval_variance == 0:
        return math.inf
    return math.sqrt(components.calibration_variance * costs.per_prompt
                     / (components.eval_variance * costs.oracle))
