"""How healthy a set of importance weights is."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cje.inference.influence import influence_se
from cje.inference.intervals import Measurement

NEAR_ZERO = 0.01
"""A mean-one weight below this is a row the target policy almost never produces."""


@dataclass(frozen=True)
class WeightDiagnostics:
    """Summary of a policy's weights (all on the mean-one scale).

    ``ess_raw`` and ``ess_calibrated`` are effective sample sizes as fractions
    of n; ``top1_share`` is the share of total weight held by the largest 1% of
    rows; ``hill_index`` is the Hill estimate of the raw weights' tail index
    (below 2: infinite variance; inf: no tail at all); ``near_zero_share`` is
    the share of rows with raw weight under 0.01, i.e. how much of what the
    logger produces the target would almost never produce.
    """

    n: int
    ess_raw: float
    ess_calibrated: float
    max_weight: float
    top1_share: float
    hill_index: float
    near_zero_share: float


def effective_sample_fraction(weight: np.ndarray) -> float:
    """(sum w)^2 / (n sum w^2): 1 for uniform weights, 1/n for one row."""
    if weight.size == 0:
        return float("nan")
    return float(weight.sum() ** 2 / (weight.size * np.sum(weight**2)))


def top_share(weight: np.ndarray, fraction: float = 0.01) -> float:
    """Share of the total weight carried by the largest ``fraction`` of rows."""
    k = max(1, int(np.ceil(fraction * weight.size)))
    top = np.partition(weight, weight.size - k)[weight.size - k:]
    return float(top.sum() / weight.sum())


def hill_tail_index(weight: np.ndarray, tail_fraction: float = 0.05, min_tail: int = 10) -> float:
    """Hill estimator over the top ``k = max(min_tail, tail_fraction * n)`` weights."""
    n = weight.size
    k = min(max(min_tail, int(tail_fraction * n)), n - 1)
    if k < 2:
        return float("nan")
    ordered = np.sort(weight)[::-1]
    threshold = ordered[k]
    if threshold <= 0:
        return 0.0
    spacing = np.mean(np.log(ordered[:k] / threshold))
    return float("inf") if spacing <= 0 else float(1.0 / spacing)


def weight_diagnostics(raw: np.ndarray, calibrated: np.ndarray) -> WeightDiagnostics:
    return WeightDiagnostics(
        n=int(raw.size),
        ess_raw=effective_sample_fraction(raw),
        ess_calibrated=effective_sample_fraction(calibrated),
        max_weight=float(raw.max()) if raw.size else float("nan"),
        top1_share=top_share(raw) if raw.size else float("nan"),
        hill_index=hill_tail_index(raw),
        near_zero_share=float(np.mean(raw < NEAR_ZERO)) if raw.size else float("nan"),
    )


def weight_concentration(weight: np.ndarray, points: int = 200) -> tuple[np.ndarray, np.ndarray]:
    """Cumulative share of total weight held by the heaviest rows: for each
    share of rows (x, heaviest first), the share of weight they carry (y).
    Uniform weights give the diagonal; one dominant row, a jump to 1."""
    ordered = np.sort(weight)[::-1]
    cumulative = np.concatenate([[0.0], np.cumsum(ordered) / ordered.sum()])
    row_share = np.linspace(0.0, 1.0, ordered.size + 1)
    grid = np.unique(np.concatenate([np.geomspace(1.0 / ordered.size, 1.0, points), [0.0]]))
    return grid, np.interp(grid, row_share, cumulative)


def weight_calibration_shift(
    reward: np.ndarray, weight: np.ndarray, calibrated_weight: np.ndarray, reward_given_score: np.ndarray
) -> Measurement:
    """Calibrated minus raw self-normalised IPS on the same rows.

    Weight calibration is unbiased only when E[w | judge] is monotone in the
    judge score; a difference larger than its noise says it is not, and that
    calibrated IPS inherits the calibration's bias while its diagnostics look
    healthy. The SE comes from the difference of the two influence functions.
    """
    w = weight / weight.mean()
    c = calibrated_weight / calibrated_weight.mean()
    raw_value = np.sum(w * reward) / np.sum(w)
    cal_value = np.sum(c * reward) / np.sum(c)
    raw_influence = w * (reward - raw_value)
    cal_influence = c * (reward - cal_value) + (w - c) * (reward_given_score - cal_value)
    return Measurement(float(cal_value - raw_value), influence_se(cal_influence - raw_influence), int(w.size))
