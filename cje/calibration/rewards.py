"""The reward of every logged row, and the judge -> outcome map behind it.

The reward flow:

1. a row's precomputed ``reward`` is used as is;
2. if every logged row then has an outcome (a precomputed reward or a kept
   oracle label), the outcomes are the rewards: nothing is calibrated and there
   is no calibration variance;
3. otherwise the judge score is calibrated to the outcome by cross-fitted
   isotonic regression on the rows that have one, and every row without a
   precomputed reward gets the calibrated reward (out-of-fold for rows whose own
   label trained the map).

Either way a cross-fitted judge -> outcome map is kept, because fresh draws
carry judge scores only and doubly robust estimators need an outcome model.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

import numpy as np

from cje.calibration.isotonic import CrossFit, ScoreLevels, cross_fit_isotonic, score_levels


class RewardSource(StrEnum):
    OUTCOMES = "outcomes"
    CALIBRATED = "calibrated"


@dataclass(frozen=True)
class RewardModel:
    """Rewards of the logged rows and the cross-fitted judge -> outcome map.

    ``outcome`` holds each row's precomputed reward or kept oracle label (NaN
    elsewhere); ``fold`` is every row's cross-fitting fold; ``out_of_fold`` is
    each row's prediction by the map trained without its fold.
    """

    source: RewardSource
    outcome: np.ndarray = field(repr=False)
    outcome_mask: np.ndarray = field(repr=False)
    fold: np.ndarray = field(repr=False)
    n_folds: int
    calibrator: CrossFit = field(repr=False)
    reward: np.ndarray = field(repr=False)
    out_of_fold: np.ndarray = field(repr=False)

    @property
    def calibrated(self) -> bool:
        return self.source is RewardSource.CALIBRATED

    @property
    def n_outcomes(self) -> int:
        return int(self.outcome_mask.sum())

    def predict(self, judge_score: np.ndarray | ScoreLevels) -> np.ndarray:
        """The full-data map, for rows that never trained it (fresh draws)."""
        return self.calibrator.full.predict(judge_score)

    @property
    def out_of_fold_rmse(self) -> float:
        """How far the held-out predictions miss the outcomes they predict."""
        residual = self.outcome[self.outcome_mask] - self.out_of_fold[self.outcome_mask]
        return float(np.sqrt(np.mean(residual**2)))


def logged_outcomes(
    oracle_label: np.ndarray, oracle_mask: np.ndarray, precomputed: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Each row's outcome: its precomputed reward, else its kept oracle label."""
    has_reward = np.isfinite(precomputed)
    outcome = np.where(has_reward, precomputed, np.where(oracle_mask, oracle_label, np.nan))
    return outcome, np.isfinite(outcome)


def fit_reward_model(
    judge_score: np.ndarray | ScoreLevels,
    outcome: np.ndarray,
    outcome_mask: np.ndarray,
    *,
    precomputed: np.ndarray,
    fold: np.ndarray,
    n_folds: int,
) -> RewardModel:
    """Fit the judge -> outcome map on the rows in ``outcome_mask``.

    ``fold`` and ``n_folds`` are passed in, not derived, so that a jackknife
    refit on fewer labels keeps every remaining label in its original fold.
    """
    judge = score_levels(judge_score)
    train = np.flatnonzero(outcome_mask)
    crossfit = cross_fit_isotonic(judge.take(train), outcome[train], fold[train])
    out_of_fold = crossfit.predict_out_of_fold(judge, fold)
    everything_known = bool(outcome_mask.all())
    if everything_known:
        reward = outcome.copy()
        source = RewardSource.OUTCOMES
    else:
        calibrated = np.where(outcome_mask, out_of_fold, crossfit.full.predict(judge))
        reward = np.where(np.isfinite(precomputed), precomputed, calibrated)
        source = RewardSource.CALIBRATED
    masked_outcome = np.where(outcome_mask, outcome, np.nan)
    return RewardModel(
        source=source,
        outcome=masked_outcome,
        outcome_mask=outcome_mask.copy(),
        fold=fold,
        n_folds=n_folds,
        calibrator=crossfit,
        reward=reward,
        out_of_fold=out_of_fold,
    )
