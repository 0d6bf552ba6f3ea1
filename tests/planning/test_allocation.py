"""The label-budget planner: square-root allocation, fixed shares, budgets, probe slices."""

import math

import pytest

from cje.planning.allocation import (
    Costs,
    Kind,
    Requirement,
    best_for_budget,
    cheapest_plan,
    fewest_prompts,
    fixed_ratio_plan,
    square_root_ratio,
)
from cje.planning.probe import decisive_probability, probe_labels_needed
from cje.planning.variance import Components

COSTS = Costs(judge=1.0, oracle=16.0, draw=1.0, n_policies=1)


def test_square_root_allocation_matches_the_closed_form_when_df_is_large():
    a, b, h = 0.04, 0.012, 0.004
    requirement = Requirement(Components("p", a, b), Kind.HALF_WIDTH, h)
    plan = cheapest_plan([requirement], COSTS, jackknife_folds=10**6)
    variance = (h / 1.959964) ** 2
    cost = (math.sqrt(a * COSTS.per_prompt) + math.sqrt(b * COSTS.oracle)) ** 2 / variance
    assert plan.cost == pytest.approx(cost, rel=0.01)
    assert plan.n_labels / plan.n_prompts == pytest.approx(square_root_ratio(requirement.components, COSTS), rel=0.03)
    assert requirement.achieved(plan.n_prompts, plan.n_labels, jackknife_folds=10**6) <= h


@pytest.mark.parametrize("target", [0.02, 0.01, 0.005])
def test_the_plan_is_never_dearer_than_a_fixed_oracle_share(target):
    requirements = [Requirement(Components("a", 0.04, 0.012), Kind.HALF_WIDTH, target),
                    Requirement(Components("b", 0.03, 0.02), Kind.HALF_WIDTH, target)]
    costs = Costs(1.0, 16.0, 1.0, n_policies=2)
    plan = cheapest_plan(requirements, costs)
    for fraction in (0.05, 0.1, 0.25, 0.5, 1.0):
        fixed = fixed_ratio_plan(requirements, costs, fraction)
        assert fixed is not None and plan.cost <= fixed.cost * (1 + 1e-9)
        assert all(r.achieved(fixed.n_prompts, fixed.n_labels) <= target for r in requirements)
        smaller = fixed.n_prompts - 1
        labels = max(10, math.ceil(fraction * smaller))
        assert not all(r.achieved(max(smaller, labels), labels) <= target for r in requirements)


def test_labels_alone_can_make_a_goal_unreachable():
    requirement = Requirement(Components("p", 0.04, 0.5), Kind.HALF_WIDTH, 0.01)
    assert fewest_prompts([requirement], 20) is None
    assert fixed_ratio_plan([requirement], COSTS, 0.01) is not None  # more prompts bring more labels


def test_detectable_difference_needs_more_than_a_half_width():
    components = Components("a - b", 0.02, 0.004)
    width = cheapest_plan([Requirement(components, Kind.HALF_WIDTH, 0.01)], COSTS)
    detect = cheapest_plan([Requirement(components, Kind.DETECTABLE, 0.01, power=0.8)], COSTS)
    assert detect.cost > 1.5 * width.cost  # (1.96 + 0.84)^2 / 1.96^2 = 2.04 times the variance


def test_budget_mode_inverts_the_plan():
    requirement = Requirement(Components("p", 0.04, 0.012), Kind.HALF_WIDTH, 0.006)
    plan = cheapest_plan([requirement], COSTS)
    spent = best_for_budget([Requirement(requirement.components, Kind.HALF_WIDTH, 1.0)], COSTS, plan.cost)
    assert spent.cost <= plan.cost
    assert dict(spent.achieved)["p"] == pytest.approx(0.006, rel=0.01)
    with pytest.raises(ValueError, match="cannot buy"):
        best_for_budget([requirement], COSTS, 50.0)


def test_costs_are_checked():
    with pytest.raises(ValueError):
        Costs(judge=0.0, oracle=16.0, draw=0.0, n_policies=1)
    with pytest.raises(ValueError):
        Costs(judge=1.0, oracle=0.0, draw=1.0, n_policies=1)
    assert Costs(1.0, 16.0, 2.0, n_policies=3).per_prompt == 1 + 3 * (1 + 2)


def test_probe_slice_size():
    base = dict(residual_sd=0.12, margin=0.05)
    k = probe_labels_needed(calibration_se=0.0, **base)
    assert k is not None and 30 < k < 80
    assert decisive_probability(k, calibration_se=0.0, gap=0.0, **base) >= 0.8
    assert decisive_probability(k - 1, calibration_se=0.0, gap=0.0, **base) < 0.8
    assert probe_labels_needed(calibration_se=0.01, **base) > k  # the calibrator's error costs labels
    assert probe_labels_needed(calibration_se=0.03, **base) is None  # ... or leaves no room at all
    assert probe_labels_needed(calibration_se=0.01, gap=0.3, **base) <= 5  # a gross failure shows at once
