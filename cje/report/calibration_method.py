"""How the judge -> oracle map was chosen, for the JSON output."""

from __future__ import annotations

from cje.analysis.run import RewardSummary


def calibration_json(rewards: RewardSummary | None) -> dict[str, object] | None:
    """The method used, what was asked, the covariates and both methods'
    out-of-fold RMSE (None for a method not fitted)."""
    if rewards is None:
        return None
    choice = rewards.calibration
    if choice is None:
        return {"method": str(rewards.model.method), "requested": "monotone", "covariates": [],
                "out_of_fold_rmse": {"monotone": rewards.out_of_fold_rmse, "two-stage": None},
                "description": rewards.calibration_text}
    return {"method": str(choice.method), "requested": choice.requested, "covariates": list(choice.covariates),
            "out_of_fold_rmse": {"monotone": choice.monotone_rmse, "two-stage": choice.two_stage_rmse},
            "description": rewards.calibration_text}
