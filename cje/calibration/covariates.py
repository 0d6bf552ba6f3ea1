"""Two-stage calibration: judge score and covariates -> index -> monotone map.

When the judge's error depends on something it can see besides quality (long
responses flatter many judges), the oracle label given the judge score differs
between policies that write differently, and a map of the score alone does not
transport. A two-stage map reads the covariates too:

1. **index**: a ridge-regularised least-squares fit of the label on a flexible
   basis of the judge score (linear plus hinges at its quartiles), each
   covariate (signed-log transformed, then standardised, with a square term)
   and each covariate's product with the score;
2. **monotone map**: isotonic regression of the label on that index, so the
   final prediction is still monotone in a single learned score and bounded by
   the labels' range.

Both stages are refitted inside each cross-fitting fold, by the oracle
jackknife and by the bootstrap, like the monotone map alone.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from cje.calibration.isotonic import IsotonicCalibrator, ScoreLevels, fit_isotonic, score_levels
from cje.errors import CJEError

RIDGE = 1e-3
SCORE_KNOTS = (0.25, 0.5, 0.75)


def covariate_matrix(columns: Mapping[str, np.ndarray], names: Sequence[str], *, n_rows: int,
                     source: str) -> np.ndarray | None:
    """The ``names`` columns side by side (None when no covariate is asked for)."""
    if not names:
        return None
    missing = [name for name in names if name not in columns]
    if missing:
        raise CJEError(f"{source}: no covariate {', '.join(missing)} was loaded for these rows")
    matrix = np.column_stack([np.asarray(columns[name], dtype=float) for name in names]) if n_rows else \
        np.empty((0, len(names)))
    if not np.isfinite(matrix).all():
        raise CJEError(f"{source}: covariates {', '.join(names)} must be numbers on every row")
    return matrix


def transform(covariates: np.ndarray) -> np.ndarray:
    """Signed log: tames skewed covariates such as lengths, keeps the order."""
    return np.sign(covariates) * np.log1p(np.abs(covariates))


@dataclass(frozen=True)
class CovariateIndex:
    """Stage one: a linear model in a basis of the score and the covariates."""

    score_knots: np.ndarray = field(repr=False)
    center: np.ndarray = field(repr=False)
    scale: np.ndarray = field(repr=False)
    coefficients: np.ndarray = field(repr=False)

    def basis(self, score: np.ndarray, covariates: np.ndarray) -> np.ndarray:
        z = (transform(covariates) - self.center) / self.scale
        hinges = np.maximum(score[:, None] - self.score_knots[None, :], 0.0)
        return np.column_stack([np.ones_like(score), score, hinges, z, z**2, z * score[:, None]])

    def predict(self, score: np.ndarray, covariates: np.ndarray) -> np.ndarray:
        return self.basis(score, covariates) @ self.coefficients


def fit_index(score: np.ndarray, covariates: np.ndarray, target: np.ndarray, weight: np.ndarray) -> CovariateIndex:
    """Weighted ridge least squares (the intercept unpenalised)."""
    kept = weight > 0
    knots = np.unique(np.quantile(score[kept], SCORE_KNOTS)) if kept.any() else np.zeros(0)
    transformed = transform(covariates[kept])
    center = transformed.mean(axis=0) if kept.any() else np.zeros(covariates.shape[1])
    scale = transformed.std(axis=0) if kept.any() else np.ones(covariates.shape[1])
    scale = np.where(scale > 0, scale, 1.0)
    draft = CovariateIndex(knots, center, scale, np.zeros(0))
    x = draft.basis(score, covariates)
    gram = (x * weight[:, None]).T @ x
    penalty = RIDGE * max(float(weight.sum()), 1.0) * np.eye(x.shape[1])
    penalty[0, 0] = 0.0
    coefficients = np.linalg.lstsq(gram + penalty, (x * weight[:, None]).T @ target, rcond=None)[0]
    return CovariateIndex(knots, center, scale, coefficients)


@dataclass(frozen=True)
class TwoStageCalibrator:
    """A fitted two-stage map. ``covariate_mean`` (raw units) stands in for
    the covariates of plain score arrays, which only display curves pass."""

    index: CovariateIndex
    monotone: IsotonicCalibrator
    covariate_mean: np.ndarray = field(repr=False)

    def predict(self, score: np.ndarray | ScoreLevels) -> np.ndarray:
        """Predictions for scored rows. :class:`ScoreLevels` must carry the
        covariates; a plain array of scores is read as a curve at the
        training rows' average covariates (for plots)."""
        if isinstance(score, ScoreLevels):
            if score.covariates is None:
                raise ValueError("this calibration uses covariates, and these rows carry none")
            values, covariates = score.values, score.covariates
        else:
            values = np.asarray(score, dtype=float)
            covariates = np.tile(self.covariate_mean, (values.size, 1))
        return self.monotone.predict(self.index.predict(values, covariates))

    def to_json(self) -> dict[str, object]:
        return {
            "kind": "two-stage",
            "score_knots": self.index.score_knots.tolist(),
            "covariate_center": self.index.center.tolist(),
            "covariate_scale": self.index.scale.tolist(),
            "index_coefficients": self.index.coefficients.tolist(),
            "monotone": self.monotone.to_json(),
        }


def fit_two_stage(score: ScoreLevels, target: np.ndarray, *, weight: np.ndarray | None = None) -> TwoStageCalibrator:
    if score.covariates is None:
        raise ValueError("a two-stage calibration needs covariates")
    weight = np.ones(len(score)) if weight is None else np.asarray(weight, dtype=float)
    values = score.values
    index = fit_index(values, score.covariates, target, weight)
    monotone = fit_isotonic(index.predict(values, score.covariates), target, weight=weight)
    kept = weight > 0
    mean = score.covariates[kept].mean(axis=0) if kept.any() else score.covariates.mean(axis=0)
    return TwoStageCalibrator(index, monotone, mean)


@dataclass(frozen=True)
class TwoStageCrossFit:
    """Like :class:`cje.calibration.isotonic.CrossFit`, for the two-stage map."""

    full: TwoStageCalibrator
    per_fold: dict[int, TwoStageCalibrator] = field(repr=False)
    out_of_fold: np.ndarray = field(repr=False)

    def predict_out_of_fold(self, score: np.ndarray | ScoreLevels, fold: np.ndarray) -> np.ndarray:
        """Each row by the map that did not see its fold (rows of folds
        without a map: the full fit)."""
        grouped = score_levels(score)
        prediction = self.full.predict(grouped)
        for k, model in self.per_fold.items():
            rows = np.flatnonzero(fold == k)
            if rows.size:
                prediction[rows] = model.predict(grouped.take(rows))
        return prediction


def cross_fit_two_stage(score: ScoreLevels, target: np.ndarray, fold: np.ndarray, *,
                        weight: np.ndarray | None = None) -> TwoStageCrossFit:
    """Fit on all rows and, for every fold present, on the other folds."""
    weight = np.ones(len(score)) if weight is None else np.asarray(weight, dtype=float)
    full = fit_two_stage(score, target, weight=weight)
    per_fold: dict[int, TwoStageCalibrator] = {}
    folds = np.flatnonzero(np.bincount(fold)) if fold.size else np.zeros(0, dtype=int)
    if folds.size > 1:
        for k in folds:
            train = fold != k
            per_fold[int(k)] = fit_two_stage(score.take(train), target[train], weight=weight[train])
    draft = TwoStageCrossFit(full, per_fold, np.empty(0))
    return TwoStageCrossFit(full, per_fold, draft.predict_out_of_fold(score, fold))
