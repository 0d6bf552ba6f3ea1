"""A label plan as text and as JSON."""

from __future__ import annotations

import math

from cje.planning.allocation import square_root_ratio
from cje.planning.plan import LabelPlan


def _count(value: int | None) -> str:
    return "not reachable" if value is None else f"{value:,}"


def _goal_text(plan: LabelPlan) -> str:
    goal = plan.goal
    if goal.half_width is not None:
        return f"a {goal.level:.0%} CI half-width of at most {goal.half_width:g} for every policy"
    if goal.detectable_difference is not None:
        which = f"{goal.pair[0]} vs {goal.pair[1]}" if goal.pair else "every pair"
        return (f"a difference of {goal.detectable_difference:g} detectable for {which} with {goal.power:.0%} "
                f"power at a two-sided level of {1 - goal.test_level:.3g} "
                f"({1 - goal.level:.0%} over {goal.family_size} compared pairs)")
    return f"the narrowest intervals a budget of {goal.budget:,g} buys"


def plan_text(plan: LabelPlan) -> str:
    p, costs = plan.plan, plan.costs
    lines = [
        f"Goal: {_goal_text(plan)}.",
        f"Costs: judge score {costs.judge:g}, oracle label {costs.oracle:g}, fresh draw {costs.draw:g}; "
        f"a prompt costs {costs.per_prompt:g} ({costs.n_policies} target policies: a draw and a judge score each, "
        "plus the judge score of the logged response).",
        "",
        f"Recommended: {p.n_prompts:,} prompts with {p.n_labels:,} oracle labels on logged responses "
        f"(--oracle-coverage {p.oracle_fraction:.3g} of them); total cost {p.cost:,.0f}.",
        f"  Oracle jackknife: {plan.jackknife_groups} groups (--jackknife-folds {plan.jackknife_folds}); "
        f"binding requirement: {p.binding}.",
    ]
    binding = next((c for c in (*plan.policies, *plan.pairs) if c.name == p.binding), None)
    if binding is not None:
        ratio = square_root_ratio(binding, costs)
        lines.append(f"  Square-root rule for {binding.name}: labels/prompts = sqrt(calibration variance x prompt "
                     f"cost / (evaluation variance x label cost)) = {ratio:.3g}"
                     + (" (capped: labels sit on logged prompts, at most one each)" if ratio > 1 else "")
                     + "; the plan also accounts for the t quantile's degrees of freedom.")
    lines.append("")
    lines.append("Expected under the plan:")
    lines += [f"  {name}: CI half-width {value:.4f}" for name, value in plan.half_widths()]
    lines += [f"  {name}: detectable difference {value:.4f} ({plan.goal.power:.0%} power)"
              for name, value in plan.detectable()]
    if plan.fixed:
        lines += ["", "The same goal with a fixed oracle share:"]
        for fraction, fixed in plan.fixed:
            if fixed is None:
                lines.append(f"  {fraction:>5.0%}: no sample size reaches it")
            else:
                extra = fixed.cost / p.cost - 1
                lines.append(f"  {fraction:>5.0%}: {fixed.n_prompts:,} prompts, {fixed.n_labels:,} labels, "
                             f"cost {fixed.cost:,.0f} ({extra:+.0%})")
    if plan.probes:
        lines += ["", f"Probe slices (oracle labels on a target policy's own fresh draws) for a decisive transport "
                      f"check at margin ±{plan.margin:g} with {plan.probe_power:.0%} probability, given the "
                      "planned logger labels:"]
        for advice in plan.probes:
            i = advice.inputs
            seen = ("" if i.observed_gap is None else
                    f"; at the pilot's gap {i.observed_gap:+.3f}: {_count(advice.at_observed_gap)}")
            lines.append(f"  {i.policy}: {_count(advice.if_transport_holds)} if the calibration transports{seen} "
                         f"(residual SD {i.residual_sd:.3f} from {i.spread_source}; calibrator error "
                         f"{advice.calibration_se:.4f})")
        if any(a.if_transport_holds is None for a in plan.probes):
            lines.append("  not reachable: the calibrator's own error on that policy's responses leaves no room "
                         "inside the margin; label more logged responses or widen the margin.")
    return "\n".join(lines) + "\n"


def _finite(value: float) -> float | None:
    return value if math.isfinite(value) else None


def plan_json(plan: LabelPlan) -> dict[str, object]:
    p, goal = plan.plan, plan.goal
    return {
        "goal": {"half_width": goal.half_width, "detectable_difference": goal.detectable_difference,
                 "pair": list(goal.pair) if goal.pair else None, "power": goal.power, "budget": goal.budget,
                 "ci_level": goal.level, "family_size": goal.family_size},
        "costs": {"judge": plan.costs.judge, "oracle": plan.costs.oracle, "draw": plan.costs.draw,
                  "target_policies": plan.costs.n_policies, "per_prompt": plan.costs.per_prompt},
        "plan": {"n_prompts": p.n_prompts, "n_labels": p.n_labels, "oracle_coverage": p.oracle_fraction,
                 "cost": p.cost, "binding": p.binding, "jackknife_folds": plan.jackknife_folds},
        "expected_half_width": dict(plan.half_widths()),
        "expected_detectable_difference": dict(plan.detectable()),
        "variance_components": {c.name: {"per_prompt": c.eval_variance, "per_label": c.calibration_variance}
                                for c in (*plan.policies, *plan.pairs)},
        "fixed_oracle_share": [{"oracle_coverage": f, "n_prompts": None if q is None else q.n_prompts,
                                "n_labels": None if q is None else q.n_labels,
                                "cost": None if q is None else q.cost} for f, q in plan.fixed],
        "probes": [{"policy": a.inputs.policy, "labels_if_transport_holds": a.if_transport_holds,
                    "labels_at_observed_gap": a.at_observed_gap, "observed_gap": a.inputs.observed_gap,
                    "residual_sd": _finite(a.inputs.residual_sd), "calibration_se": _finite(a.calibration_se),
                    "margin": plan.margin, "probability": plan.probe_power} for a in plan.probes],
    }
