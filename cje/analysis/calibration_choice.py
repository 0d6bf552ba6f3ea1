"""Which judge -> oracle map an analysis with covariates uses, and why.

``two-stage`` and ``monotone`` are taken as asked. ``auto`` fits both,
cross-fitted on the same folds, and keeps the two-stage map when its
out-of-fold squared error on the labelled rows is the lower one. (A stricter
rule, lower by a standard error, kept the monotone map in most seeded runs
of a world whose judge is biased by length at 5-10% oracle, where two-stage
halves the error; where the covariates carry nothing the two maps' estimates
agree to within noise, so a chance pick of two-stage costs little.) The
choice and both errors are reported, and the same data always give the same
choice.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from cje.analysis.settings import AnalysisSettings
from cje.calibration.rewards import CalibrationMethod, RewardModel


@dataclass(frozen=True)
class CalibrationChoice:
    """The method used, what was asked, and both methods' out-of-fold RMSE
    (None for a method that was not fitted)."""

    method: CalibrationMethod
    requested: str
    covariates: tuple[str, ...]
    monotone_rmse: float | None
    two_stage_rmse: float | None

    def describe(self) -> str:
        fields = ", ".join(self.covariates)
        if self.method is CalibrationMethod.TWO_STAGE:
            text = f"two-stage (judge score and {fields} -> index -> isotonic)"
        else:
            text = "monotone in the judge score"
        if self.requested == "auto" and self.monotone_rmse is not None and self.two_stage_rmse is not None:
            text += (f", chosen automatically by out-of-fold RMSE: two-stage {self.two_stage_rmse:.4f}, "
                     f"monotone {self.monotone_rmse:.4f}")
        return text


def _squared_errors(model: RewardModel) -> np.ndarray:
    labelled = model.outcome_mask
    return (model.outcome[labelled] - model.out_of_fold[labelled]) ** 2


def prefer_two_stage(monotone: RewardModel, two_stage: RewardModel) -> bool:
    """Two-stage when its out-of-fold squared error is the lower."""
    return float(np.mean(_squared_errors(two_stage))) < float(np.mean(_squared_errors(monotone)))


def choose_calibration(fit: Callable[[CalibrationMethod], RewardModel],
                       settings: AnalysisSettings) -> tuple[RewardModel, CalibrationChoice]:
    covariates = settings.calibration_covariates
    if settings.calibration == "monotone":
        model = fit(CalibrationMethod.MONOTONE)
        return model, CalibrationChoice(model.method, "monotone", covariates, model.out_of_fold_rmse, None)
    two_stage = fit(CalibrationMethod.TWO_STAGE)
    if settings.calibration == "two-stage":
        return two_stage, CalibrationChoice(two_stage.method, "two-stage", covariates, None,
                                            two_stage.out_of_fold_rmse)
    monotone = fit(CalibrationMethod.MONOTONE)
    chosen = two_stage if prefer_two_stage(monotone, two_stage) else monotone
    return chosen, CalibrationChoice(chosen.method, "auto", covariates, monotone.out_of_fold_rmse,
                                     two_stage.out_of_fold_rmse)
