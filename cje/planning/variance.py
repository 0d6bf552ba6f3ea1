"""The variance model behind label-budget planning.

Every estimate's variance has two parts (see :class:`cje.estimators.result.Estimate`):
the sampling part, which shrinks with the number of prompts ``n``, and the
calibration part, which shrinks with the number of oracle labels ``m``:

    Var = eval_variance / n + calibration_variance / m

``eval_variance`` is the per-prompt variance (the influence values' variance)
and ``calibration_variance`` the per-label variance of the calibration error
(the oracle jackknife's variance times the labels it rested on). Both are read
off a pilot analysis or stated. The interval's quantile follows the analysis:
a t quantile with Welch-Satterthwaite degrees of freedom from ``n - 1`` and
the oracle jackknife's ``J - 1``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import ndtri, stdtrit

from cje.inference.intervals import satterthwaite_df

DEFAULT_JACKKNIFE_FOLDS = 10


@dataclass(frozen=True)
class Components:
    """One quantity's variance per prompt and per oracle label (``name``: a
    policy, or a pair ``a - b``)."""

    name: str
    eval_variance: float
    calibration_variance: float

    def __post_init__(self) -> None:
        if not (np.isfinite(self.eval_variance) and self.eval_variance >= 0):
            raise ValueError(f"{self.name}: the per-prompt variance must be a finite number >= 0")
        if not (np.isfinite(self.calibration_variance) and self.calibration_variance >= 0):
            raise ValueError(f"{self.name}: the per-label variance must be a finite number >= 0")

    def variance(self, n_prompts: float, n_labels: float) -> float:
        return self.eval_variance / n_prompts + self.calibration_variance / n_labels

    def se(self, n_prompts: float, n_labels: float) -> float:
        return float(np.sqrt(self.variance(n_prompts, n_labels)))

    def df(self, n_prompts: float, n_labels: float, *, jackknife_folds: int = DEFAULT_JACKKNIFE_FOLDS) -> float:
        groups = jackknife_groups(n_labels, jackknife_folds)
        return satterthwaite_df(self.eval_variance / n_prompts, max(n_prompts - 1, 1),
                                self.calibration_variance / n_labels, groups - 1)


def jackknife_groups(n_labels: float, jackknife_folds: int = DEFAULT_JACKKNIFE_FOLDS) -> int:
    """The analysis's oracle-jackknife group count for ``n_labels`` labels."""
    return int(min(jackknife_folds, max(2, int(n_labels) // 2)))


def quantile(level: float, df: float) -> float:
    """The two-sided ``level`` quantile of t with ``df`` (normal when infinite)."""
    return one_sided(0.5 + level / 2, df)


def one_sided(probability: float, df: float) -> float:
    """The ``probability`` quantile of t with ``df`` (scipy.special: the
    planner evaluates it thousands of times)."""
    return float(ndtri(probability) if not np.isfinite(df) else stdtrit(df, probability))
