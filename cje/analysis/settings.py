"""What an analysis computes, and how."""

from __future__ import annotations

from dataclasses import dataclass

from cje.analysis.registry import estimator_names, get_spec
from cje.choices import (
    CALIBRATION_CHOICES,
    DEFAULT_TRANSPORT_MARGIN,
    INFERENCE_CHOICES,
    MULTIPLICITY_CHOICES,
    OMEGA_CHOICES,
)


@dataclass(frozen=True)
class AnalysisSettings:
    """Settings of one analysis run.

    ``oracle_coverage`` is the share of the *available* oracle labels kept
    (seeded by ``seed``). ``inference="bootstrap"`` replaces the jackknife by a
    prompt-cluster bootstrap that refits the calibrator, for ``direct`` only.
    ``transport_margin`` is the largest calibration bias on a target policy
    that still counts as transporting (the audit's pre-declared tolerance).
    ``multiplicity`` adjusts the p-values of the paired policy comparisons:
    ``holm`` (family-wise error), ``bh`` (false discovery rate) or ``none``.
    ``calibration_covariates`` name numeric fields a two-stage calibration
    reads besides the judge score; ``calibration`` is ``two-stage``,
    ``monotone`` (the judge score alone) or ``auto`` (with covariates: the one
    of smaller out-of-fold error, reported).
    """

    estimators: tuple[str, ...] = ("calibrated-ips",)
    oracle_coverage: float = 1.0
    seed: int = 42
    ci_level: float = 0.95
    inference: str = "jackknife"
    n_bootstrap: int = 1000
    mrdr_omega: str = "w"
    jackknife_folds: int = 10
    calibration_folds: int = 5
    variance_cap: float = 1.0
    policies: tuple[str, ...] | None = None
    transport_margin: float = DEFAULT_TRANSPORT_MARGIN
    multiplicity: str = "holm"
    calibration_covariates: tuple[str, ...] = ()
    calibration: str = "auto"

    def __post_init__(self) -> None:
        for name in self.estimators:
            get_spec(name)
        if not 0.0 <= self.oracle_coverage <= 1.0:
            raise ValueError("oracle coverage must be in [0, 1]")
        if not 0.0 < self.ci_level < 1.0:
            raise ValueError("confidence level must be in (0, 1)")
        if self.inference not in INFERENCE_CHOICES:
            raise ValueError(f"inference must be one of {INFERENCE_CHOICES}")
        if self.mrdr_omega not in OMEGA_CHOICES:
            raise ValueError(f"MRDR omega must be one of {OMEGA_CHOICES}")
        if self.calibration not in CALIBRATION_CHOICES:
            raise ValueError(f"calibration must be one of {CALIBRATION_CHOICES}")
        if self.calibration == "two-stage" and not self.calibration_covariates:
            raise ValueError("a two-stage calibration needs covariates (--calibration-covariates)")
        if self.multiplicity not in MULTIPLICITY_CHOICES:
            raise ValueError(f"multiplicity must be one of {MULTIPLICITY_CHOICES}")
        if not 0.0 < self.transport_margin < 1.0:
            raise ValueError("the transport margin must be in (0, 1)")
        if self.jackknife_folds < 2 or self.calibration_folds < 2:
            raise ValueError("jackknife and calibration need at least 2 folds")

    @property
    def computed_estimators(self) -> tuple[str, ...]:
        """The requested estimators plus the components of any combined one,
        in table order."""
        wanted = set(self.estimators)
        for name in self.estimators:
            wanted.update(get_spec(name).components)
        return tuple(e for e in estimator_names() if e in wanted)
