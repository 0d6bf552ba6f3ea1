"""Every estimator the analysis knows, described once.

An :class:`EstimatorSpec` says what an estimator is called, which family it
belongs to, the function that runs it for one policy, what it needs (fresh
draws, calibrated weights, rewards), which gates judge it and how the report
shows it. Settings, the analysis flow, the gates, the console and the JSON all
read this table; adding an estimator is one :func:`register` call and its
function.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, TypeAlias

from cje.diagnostics.gate_names import Gate

if TYPE_CHECKING:
    import numpy as np

    from cje.analysis.runners import PolicyContext, Runner
    from cje.calibration.rewards import RewardModel
    from cje.estimators.result import Estimate


class Family(StrEnum):
    BASELINE = "baseline"
    DIRECT = "direct"
    IPS = "ips"
    DR = "dr"


class WeightsShown(StrEnum):
    """Which weights' ESS the console shows beside an estimate."""

    NONE = "none"
    RAW = "raw"
    CALIBRATED = "calibrated"


Combiner: TypeAlias = "Callable[[Sequence[Estimate], np.ndarray], Estimate]"
"""Builds one estimate of a policy from its components' estimates (those
that passed their gates) and the prompt fold of each influence position."""


@dataclass(frozen=True)
class EstimatorSpec:
    """One estimator: identity, function, needs, gates and presentation.

    Exactly one of ``run`` (a per-policy runner) and ``combine`` (a function of
    the ``components``' estimates of the same policy) is set.
    ``needs_rewards`` is False only for estimators that read raw judge scores.
    ``headline_rank`` orders the estimators a multi-estimator run may report
    its best policy with (lowest first; None: never the headline).
    """

    name: str
    family: Family
    summary: str
    gates: frozenset[Gate]
    run: Runner | None = None
    combine: Combiner | None = None
    components: tuple[str, ...] = ()
    needs_rewards: bool = True
    needs_fresh_draws: bool = False
    needs_calibrated_weights: bool = False
    weights_shown: WeightsShown = WeightsShown.NONE
    headline_rank: int | None = None

    def __post_init__(self) -> None:
        if (self.run is None) == (self.combine is None):
            raise ValueError(f"estimator {self.name!r}: give exactly one of run and combine")
        if self.combine is not None and not self.components:
            raise ValueError(f"estimator {self.name!r} combines estimates but names no components")


_CALIBRATED = frozenset({Gate.CALIBRATION, Gate.TRANSPORT, Gate.STANDARD_ERROR})
_IPS = _CALIBRATED | {Gate.IPS_OVERLAP, Gate.SUPPORT, Gate.HEAVY_TAIL}
_DR = _CALIBRATED | {Gate.DR_OVERLAP, Gate.ORTHOGONALITY, Gate.LABEL_SUPPORT}
DR_COMPONENTS = ("dr-cpo", "calibrated-dr-cpo", "mrdr", "tmle")

_REGISTRY: dict[str, EstimatorSpec] = {}


def register(spec: EstimatorSpec) -> EstimatorSpec:
    """Add ``spec`` to the table (after the built-in estimators)."""
    if spec.name in _REGISTRY:
        raise ValueError(f"an estimator named {spec.name!r} is already registered")
    unknown = [c for c in spec.components if c not in _REGISTRY]
    if unknown:
        raise ValueError(f"estimator {spec.name!r} combines unknown estimators {unknown}")
    _REGISTRY[spec.name] = spec
    return spec


def unregister(name: str) -> None:
    """Remove an estimator added with :func:`register` (for tests and plug-ins)."""
    _REGISTRY.pop(name, None)


def estimator_names() -> tuple[str, ...]:
    """Every registered estimator, in table order."""
    return tuple(_REGISTRY)


def get_spec(name: str) -> EstimatorSpec:
    try:
        return _REGISTRY[name]
    except KeyError:
        raise ValueError(f"unknown estimator {name!r}; choose from {', '.join(_REGISTRY)}") from None


def _runner(name: str) -> Runner:
    """The function ``name`` of :mod:`cje.analysis.runners`, imported at its
    first call: the table, and every ``--help`` that lists it, then load
    without numpy."""

    def run(ctx: PolicyContext, model: RewardModel | None) -> Estimate:
        from cje.analysis import runners

        function: Runner = getattr(runners, name)
        return function(ctx, model)

    run.__name__ = run.__qualname__ = name
    return run


def _stack_dr(components: Sequence[Estimate], prompt_fold: np.ndarray) -> Estimate:
    from cje.estimators.stacking import stack

    return stack(components, fold=prompt_fold)


for _spec in (
    EstimatorSpec(
        "naive-direct", Family.BASELINE, "mean raw judge score of the policy's fresh draws (biased by design)",
        frozenset({Gate.RAW_JUDGE_SCALE, Gate.STANDARD_ERROR}), run=_runner("run_naive_direct"),
        needs_rewards=False, needs_fresh_draws=True,
    ),
    EstimatorSpec(
        "direct", Family.DIRECT, "mean calibrated reward of the fresh draws plus a mean labelled residual",
        _CALIBRATED | {Gate.LABEL_SUPPORT}, run=_runner("run_direct"),
        needs_fresh_draws=True, headline_rank=2,
    ),
    EstimatorSpec(
        "raw-ips", Family.IPS, "self-normalised importance sampling of calibrated rewards",
        _IPS, run=_runner("run_raw_ips"), weights_shown=WeightsShown.RAW,
    ),
    EstimatorSpec(
        "calibrated-ips", Family.IPS, "the same with judge-indexed monotone (calibrated) weights",
        _IPS | {Gate.CALIBRATED_ESS, Gate.WEIGHT_CALIBRATION_SHIFT}, run=_runner("run_calibrated_ips"),
        needs_calibrated_weights=True, weights_shown=WeightsShown.CALIBRATED, headline_rank=3,
    ),
    EstimatorSpec(
        "dr-cpo", Family.DR, "doubly robust: fresh-draw outcome model plus raw-weighted labelled residuals",
        _DR | {Gate.HEAVY_TAIL, Gate.RAW_WEIGHT_NOISE}, run=_runner("run_dr_cpo"), needs_fresh_draws=True,
        weights_shown=WeightsShown.RAW,
    ),
    EstimatorSpec(
        "calibrated-dr-cpo", Family.DR, "the same with calibrated weights",
        _DR, run=_runner("run_calibrated_dr_cpo"), needs_fresh_draws=True, needs_calibrated_weights=True,
        weights_shown=WeightsShown.CALIBRATED, headline_rank=1,
    ),
    EstimatorSpec(
        "mrdr", Family.DR, "DR with the outcome model refitted to minimise the DR variance",
        _DR, run=_runner("run_mrdr"), needs_fresh_draws=True, needs_calibrated_weights=True,
        weights_shown=WeightsShown.CALIBRATED,
    ),
    EstimatorSpec(
        "tmle", Family.DR, "DR with a targeting step that also moves the fresh-draw predictions",
        _DR, run=_runner("run_tmle"), needs_fresh_draws=True, needs_calibrated_weights=True,
        weights_shown=WeightsShown.CALIBRATED,
    ),
):
    register(_spec)
register(EstimatorSpec(
    "stacked-dr", Family.DR, "convex combination of the DR estimates that pass their gates, weights chosen "
    "out of fold to minimise variance",
    _DR - {Gate.ORTHOGONALITY}, combine=_stack_dr, components=DR_COMPONENTS, needs_fresh_draws=True,
    needs_calibrated_weights=True, weights_shown=WeightsShown.CALIBRATED, headline_rank=0,
))
