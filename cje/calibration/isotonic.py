"""Monotone (isotonic) regression of a target on a score, and cross-fitting.

Judge scores take few distinct values, so the fit first pools rows with equal
scores (weighted means), then runs PAVA on the pooled points: a fit on a
million rows costs about as much as one on a hundred. Predictions interpolate
linearly between fitted points and are flat beyond the ends.

Up to ``SCIPY_ABOVE`` pooled points PAVA runs here in plain Python (about a
millisecond); beyond, ``scipy.optimize.isotonic_regression`` does. Importing
scipy.optimize takes longer than a whole analysis of a thousand prompts
(0.4-0.5 s on two cores), so it is imported only where its speed pays for it.

Scores may be passed as :class:`ScoreLevels` (distinct values plus each row's
index into them), computed once: fitting and predicting then cost a
``bincount`` and a ``take`` instead of a sort of the whole column each time.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

SCIPY_ABOVE = 1_000


@dataclass(frozen=True)
class ScoreLevels:
    """The distinct values of a score column and each row's index into them.

    ``covariates`` (rows x fields, or None) travel with the rows for
    calibrations that read more than the score (see
    :mod:`cje.calibration.covariates`); the monotone map ignores them.
    """

    levels: np.ndarray = field(repr=False)
    codes: np.ndarray = field(repr=False)
    covariates: np.ndarray | None = field(default=None, repr=False)

    def __len__(self) -> int:
        return self.codes.size

    def take(self, rows: np.ndarray) -> ScoreLevels:
        """The same levels for a subset of rows (boolean mask or indices)."""
        covariates = None if self.covariates is None else self.covariates[rows]
        return ScoreLevels(self.levels, self.codes[rows], covariates)

    @property
    def values(self) -> np.ndarray:
        """Each row's score."""
        return self.levels[self.codes]

    def with_covariates(self, covariates: np.ndarray | None) -> ScoreLevels:
        """The same scores carrying ``covariates`` (one row per score)."""
        if covariates is not None and covariates.shape[0] != self.codes.size:
            raise ValueError(f"{covariates.shape[0]} covariate rows for {self.codes.size} scores")
        return ScoreLevels(self.levels, self.codes, covariates)


def score_levels(score: np.ndarray | ScoreLevels) -> ScoreLevels:
    if isinstance(score, ScoreLevels):
        return score
    levels, codes = np.unique(np.asarray(score, dtype=float), return_inverse=True)
    return ScoreLevels(levels, codes.reshape(-1))


@dataclass(frozen=True)
class IsotonicCalibrator:
    """A fitted monotone map from score to prediction."""

    knots: np.ndarray = field(repr=False)
    values: np.ndarray = field(repr=False)
    increasing: bool = True

    def predict(self, score: np.ndarray | ScoreLevels) -> np.ndarray:
        if isinstance(score, ScoreLevels):
            return np.interp(score.levels, self.knots, self.values)[score.codes]
        return np.interp(np.asarray(score, dtype=float), self.knots, self.values)

    def to_json(self) -> dict[str, object]:
        return {
            "knots": self.knots.tolist(),
            "values": self.values.tolist(),
            "increasing": self.increasing,
        }

    @classmethod
    def from_json(cls, data: dict[str, object]) -> IsotonicCalibrator:
        return cls(
            knots=np.asarray(data["knots"], dtype=float),
            values=np.asarray(data["values"], dtype=float),
            increasing=bool(data["increasing"]),
        )


def fit_isotonic(
    score: np.ndarray | ScoreLevels,
    target: np.ndarray,
    *,
    weight: np.ndarray | None = None,
    increasing: bool = True,
) -> IsotonicCalibrator:
    """Weighted least-squares monotone fit of ``target`` on ``score``."""
    grouped = score_levels(score)
    target = np.asarray(target, dtype=float)
    weight = np.ones_like(target) if weight is None else np.asarray(weight, dtype=float)
    if len(grouped) == 0:
        raise ValueError("cannot fit an isotonic map on no rows")
    knots = grouped.levels
    mass = np.bincount(grouped.codes, weights=weight, minlength=knots.size)
    total = np.bincount(grouped.codes, weights=weight * target, minlength=knots.size)
    present = mass > 0
    if not present.any():
        raise ValueError("cannot fit an isotonic map with zero total weight")
    knots, mass, total = knots[present], mass[present], total[present]
    return IsotonicCalibrator(knots=knots, values=monotone_fit(total / mass, mass, increasing=increasing),
                              increasing=increasing)


def monotone_fit(value: np.ndarray, weight: np.ndarray, *, increasing: bool = True) -> np.ndarray:
    """The weighted least-squares monotone sequence closest to ``value``."""
    if value.size > SCIPY_ABOVE:
        from scipy.optimize import isotonic_regression

        return np.asarray(isotonic_regression(value, weights=weight, increasing=increasing).x)
    sign = 1.0 if increasing else -1.0
    return sign * _pool_adjacent_violators(sign * value, weight)


def _pool_adjacent_violators(value: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """Non-decreasing fit: each point starts a block; while a block's mean is
    below the one before it, the two merge into their weighted mean."""
    means: list[float] = []
    masses: list[float] = []
    sizes: list[int] = []
    for mean, mass in zip(value.tolist(), weight.tolist()):
        size = 1
        while means and means[-1] > mean:
            previous_mass = masses.pop()
            mean = (means.pop() * previous_mass + mean * mass) / (previous_mass + mass)
            mass += previous_mass
            size += sizes.pop()
        means.append(mean)
        masses.append(mass)
        sizes.append(size)
    return np.repeat(np.array(means), sizes)


@dataclass(frozen=True)
class CrossFit:
    """A full-data fit, one fit per fold trained without that fold, and each
    training row's out-of-fold prediction."""

    full: IsotonicCalibrator
    per_fold: dict[int, IsotonicCalibrator] = field(repr=False)
    out_of_fold: np.ndarray = field(repr=False)

    def predict_out_of_fold(self, score: np.ndarray | ScoreLevels, fold: np.ndarray) -> np.ndarray:
        """Predict each row with the model that did not see its fold; rows of
        folds without a model (no training rows there) use the full fit."""
        grouped = score_levels(score)
        if not self.per_fold:
            return self.full.predict(grouped)
        # One small table of every fold model's prediction at every level, then
        # a single fancy-index: no per-fold pass over the rows.
        folds = np.arange(max(self.per_fold) + 1)
        table = np.tile(self.full.predict(grouped.levels), (folds.size + 1, 1))
        for k, model in self.per_fold.items():
            table[k] = model.predict(grouped.levels)
        row_fold = np.where((fold >= 0) & (fold <= folds[-1]), fold, folds.size)
        return table[row_fold, grouped.codes]


def cross_fit_isotonic(
    score: np.ndarray | ScoreLevels,
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
    grouped = score_levels(score)
    weight = np.ones(len(grouped)) if weight is None else np.asarray(weight, dtype=float)
    full = fit_isotonic(grouped, target, weight=weight, increasing=increasing)
    per_fold: dict[int, IsotonicCalibrator] = {}
    folds = np.flatnonzero(np.bincount(fold)) if fold.size else np.zeros(0, dtype=int)
    if folds.size > 1:
        for k in folds:
            train = fold != k
            per_fold[int(k)] = fit_isotonic(
                grouped.take(train), target[train], weight=weight[train], increasing=increasing
            )
    draft = CrossFit(full=full, per_fold=per_fold, out_of_fold=np.empty(0))
    return CrossFit(full, per_fold, draft.predict_out_of_fold(grouped, fold))
