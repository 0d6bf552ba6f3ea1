"""The reward model of an analysis, and its refits without each oracle fold.

The kept oracle labels (``--oracle-coverage``) train a cross-fitted judge ->
oracle map; the delete-one-oracle-fold jackknife refits it without each group
of labels in turn, and every estimator that used the map is rerun on each refit.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cje.analysis.inputs import PromptIndex
from cje.analysis.settings import AnalysisSettings
from cje.calibration.folds import calibration_folds_for, folds_from_hash
from cje.calibration.oracle_slice import select_oracle_slice
from cje.calibration.rewards import RewardModel, fit_reward_model, logged_outcomes
from cje.data.tables import Dataset
from cje.errors import InsufficientLabelsError


@dataclass(frozen=True)
class RewardFit:
    """The fitted reward model, or why none could be fitted."""

    model: RewardModel | None
    error: str | None
    oracle_mask: np.ndarray


def oracle_mask(dataset: Dataset, settings: AnalysisSettings) -> np.ndarray:
    """The logged rows whose oracle label this analysis keeps."""
    logged = dataset.logged
    return select_oracle_slice(
        logged.prompt_id, logged.label_available, settings.oracle_coverage, seed=settings.seed
    )


def fit_rewards(dataset: Dataset, settings: AnalysisSettings, prompts: PromptIndex) -> RewardFit:
    logged = dataset.logged
    kept = oracle_mask(dataset, settings)
    outcome, mask = logged_outcomes(logged.oracle_label, kept, logged.reward)
    try:
        n_folds = calibration_folds_for(int(mask.sum()), settings.calibration_folds)
    except InsufficientLabelsError as error:
        return RewardFit(None, str(error), kept)
    fold = folds_from_hash(prompts.prompt_hash, n_folds)
    model = fit_reward_model(prompts.judge, outcome, mask, precomputed=logged.reward, fold=fold,
                             n_folds=n_folds)
    return RewardFit(model, None, kept)


def deletable_labels(dataset: Dataset, model: RewardModel) -> np.ndarray:
    """Oracle labels the jackknife may delete: precomputed rewards are data,
    not labels, and are never deleted."""
    return model.outcome_mask & ~np.isfinite(dataset.logged.reward)


def jackknife_groups(deletable: np.ndarray, settings: AnalysisSettings) -> int:
    """At most ``jackknife_folds`` groups, and at least two labels per group."""
    return int(min(settings.jackknife_folds, max(2, deletable.sum() // 2)))


def jackknife_models(dataset: Dataset, model: RewardModel, settings: AnalysisSettings,
                     prompts: PromptIndex) -> tuple[RewardModel, ...]:
    """The reward model refitted without each oracle fold in turn.

    Oracle folds split the deletable labels by a stable hash of prompt_id
    (independent of the cross-fitting folds, which every refit keeps).
    """
    logged = dataset.logged
    deletable = deletable_labels(dataset, model)
    n_groups = jackknife_groups(deletable, settings)
    group = folds_from_hash(prompts.prompt_hash, n_groups, stream=1)
    refits = []
    for g in range(n_groups):
        drop = deletable & (group == g)
        if not drop.any():
            continue
        refits.append(fit_reward_model(
            prompts.judge, model.outcome, model.outcome_mask & ~drop, precomputed=logged.reward,
            fold=model.fold, n_folds=model.n_folds,
        ))
    return tuple(refits)
