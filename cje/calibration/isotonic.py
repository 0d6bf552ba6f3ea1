"""Monotone (isotonic) regression of a target on a score, and cross-fitting.

Judge scores take few distinct values, so the fit first pools rows with equal
scores (weighted means), then runs scipy's PAVA on the pooled points: a fit on a
million rows costs about as much as one on a hundred. Predictions interpolate
linearly between fitted points and are flat beyond the ends.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import isotonic_regression


@dataclass(frozen=True)
class IsotonicCalibrator:
    """A fitted monotone map from score to prediction."""

    knots: np.ndarray = field(repr=False)
    values: np.ndarray = field(repr=False)
    increasing: bool = True

    def predict(self, score: np.ndarray) -> np.ndarray:
        return np.interp(np.asarray(score, dtype=float), self.knots, self.values)

    def to_json(self) -> dict[str, object]:
        return {
            "knots": self.knots.tolist(),
            "values": self.values.tolist(),
            "increasing": self.increasing,
        }

    @classmethod
    def from_json(cls, data: dict[str, object]) -> "IsotonicCalibrator":
        return cls(
            knots=np.asarray(data["knots"], dtype=float),
            values=np.asarray(data["values"], dtype=float),
            increasing=bool(data["increasing"]),
        )


def fit_isotonic(
    score: np.ndarray,
    target: np.ndarray,
    *,
    weight: np.ndarray | None = None,
    increasing: bool = True,
) -> IsotonicCalibrator:
    """Weighted least-squares monotone fit of ``target`` on ``score``."""
    score = np.asarray(score, dtype=float)
    target = np.asarray(target, dtype=float)
    weight = np.ones_like(target) if weight is None else np.asarray(weight, dtype=float)
    if score.size == 0:
        raise ValueError("cannot fit an isotonic map on no rows")
    knots, inverse = np.unique(score, return_inverse=True)
    mass = np.bincount(inverse, weights=weight, minlength=knots.size)
    total = np.bincount(inverse, weights=weight * target, minlength=knots.size)
    present = mass > 0
    if not present.any():
        raise ValueError("cannot fit an isotonic map with zero total weight")
    knots, mass, total = knots[present], mass[present], total[present]
    fit = isotonic_regression(total / mass, weights=mass, increasing=increasing)
    return IsotonicCalibrator(knots=knots, values=np.asarray(fit.x), increasing=increasing)


@dataclass(frozen=True)
class CrossFit:
    """A full-data fit, one fit per fold trained without that fold, and each
    training row's out-of-fold prediction."""

    full: IsotonicCalibrator
    per_fold: dict[int, IsotonicCalibrator] = field(repr=False)
    out_of_fold: np.ndarray = field(repr=False)

    def predict_out_of_fold(self, score: np.ndarray, fold: np.ndarray) -> np.ndarray:
        """Predict each row with the model that did not see its fold; rows of
        folds without a model (no training rows there) use the full fit."""
        prediction = self.full.predict(score)
        for k, model in self.per_fold.items():
            in_fold = fold == k
            if in_fold.any():
                prediction[in_fold] = model.predict(score[in_fold])
        return prediction


def cross_fit_isotonic(
    score: np.ndarray,
    target: np.ndarray,
    fold: np.ndarray,
    *,
    weight: np.ndarray | None = None,
    increasing: bool = True,
) -> CrossFit:
    """Fit on all rows, and for every fold present fit on the other folds.

    With a single fold present there is nothing to hold out from; the
    out-of-fold predictions are then the full fit's (and say nothing about
    overfitting).
    """
    weight = np.ones(len(score)) if weight is None else np.asarray(weight, dtype=float)
    full = fit_isotonic(score, target, weight=weight, increasing=increasing)
    per_fold: dict[int, IsotonicCalibrator] = {}
    folds = np.unique(fold)
    if folds.size > 1:
        for k in folds:
            train = fold != k
            per_fold[int(k)] = fit_isotonic(
                score[train], target[train], weight=weight[train], increasing=increasing
            )
    draft = CrossFit(full=full, per_fold=per_fold, out_of_fold=np.empty(0))
    return CrossFit(full, per_fold, draft.predict_out_of_fold(score, fold))
