"""Confidence intervals from a sampling and a calibration variance component."""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

# scipy.special holds the quantile functions scipy.stats uses; importing it
# costs a fraction of scipy.stats' start-up.
from scipy.special import ndtri, stdtrit


class Interval(NamedTuple):
    low: float
    high: float


def satterthwaite_df(var_sampling: float, df_sampling: float, var_calibration: float,
                     df_calibration: float | None) -> float:
    """Welch-Satterthwaite degrees of freedom of a sum of two variance estimates.

    A jackknife over J oracle folds estimates its component with only J-1
    degrees of freedom; when that component dominates, a normal quantile would
    give intervals that cover far less than promised.
    """
    total = var_sampling + var_calibration
    if total <= 0:
        return float("inf")
    denominator = 0.0
    if var_sampling > 0 and np.isfinite(df_sampling):
        denominator += var_sampling**2 / df_sampling
    if var_calibration > 0 and df_calibration:
        denominator += var_calibration**2 / df_calibration
    return float("inf") if denominator == 0 else float(total**2 / denominator)


def t_interval(value: float, se: float, df: float, level: float) -> Interval:
    """``value +- t_{df}((1+level)/2) * se``."""
    if not 0 < level < 1:
        raise ValueError(f"confidence level must be in (0, 1), got {level}")
    q = ndtri(0.5 + level / 2) if not np.isfinite(df) else stdtrit(df, 0.5 + level / 2)
    return Interval(value - q * se, value + q * se)


def clip_interval(interval: Interval, low: float = 0.0, high: float = 1.0) -> Interval:
    """Intersect with the outcome's range."""
    return Interval(min(max(interval.low, low), high), max(min(interval.high, high), low))


@dataclass(frozen=True)
class Measurement:
    """A measured quantity, its standard error, and the number of independent
    units (prompts, rows) it rests on; its interval is a t interval with
    ``n - 1`` degrees of freedom."""

    value: float
    se: float
    n: int

    def ci(self, level: float = 0.95) -> Interval:
        return t_interval(self.value, self.se, max(self.n - 1, 1), level)
