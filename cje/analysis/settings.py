"""What an analysis computes, and how."""

from __future__ import annotations

from dataclasses import dataclass

from cje.estimators.mrdr import OMEGA_CHOICES

ESTIMATORS = (
    "naive-direct",
    "direct",
    "raw-ips",
    "calibrated-ips",
    "dr-cpo",
    "calibrated-dr-cpo",
    "mrdr",
    "tmle",
    "stacked-dr",
)
DR_COMPONENTS = ("dr-cpo", "calibrated-dr-cpo", "mrdr", "tmle")
INFERENCE_CHOICES = ("jackknife", "bootstrap")


@dataclass(frozen=True)
class AnalysisSettings:
    """Settings of one analysis run.

    ``oracle_coverage`` is the share of the *available* oracle labels kept
    (seeded by ``seed``). ``inference="bootstrap"`` replaces the jackknife by a
    prompt-cluster bootstrap that refits the calibrator, for ``direct`` only.
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

    def __post_init__(self) -> None:
        unknown = [e for e in self.estimators if e not in ESTIMATORS]
        if unknown:
            raise ValueError(f"unknown estimators {unknown}; choose from {ESTIMATORS}")
        if not 0.0 <= self.oracle_coverage <= 1.0:
            raise ValueError("oracle coverage must be in [0, 1]")
        if not 0.0 < self.ci_level < 1.0:
            raise ValueError("confidence level must be in (0, 1)")
        if self.inference not in INFERENCE_CHOICES:
            raise ValueError(f"inference must be one of {INFERENCE_CHOICES}")
        if self.mrdr_omega not in OMEGA_CHOICES:
            raise ValueError(f"MRDR omega must be one of {OMEGA_CHOICES}")
        if self.jackknife_folds < 2 or self.calibration_folds < 2:
            raise ValueError("jackknife and calibration need at least 2 folds")

    @property
    def computed_estimators(self) -> tuple[str, ...]:
        """The requested estimators plus what stacking needs, in table order."""
        wanted = set(self.estimators)
        if "stacked-dr" in wanted:
            wanted.update(DR_COMPONENTS)
        return tuple(e for e in ESTIMATORS if e in wanted)
