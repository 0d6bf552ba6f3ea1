"""Data behind the calibration picture: oracle means at each judge level."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

MAX_BINS = 20


@dataclass(frozen=True)
class CalibrationBins:
    """Mean outcome (with its SE) of labelled rows at each judge level.

    Judges that report few distinct scores get one bin per score; continuous
    scores are grouped into at most ``MAX_BINS`` quantile bins.
    """

    score: np.ndarray
    mean: np.ndarray
    se: np.ndarray
    count: np.ndarray


def calibration_bins(judge_score: np.ndarray, outcome: np.ndarray) -> CalibrationBins:
    levels = np.unique(judge_score)
    if levels.size <= MAX_BINS:
        edges_index = np.searchsorted(levels, judge_score)
        n_bins = levels.size
    else:
        edges = np.quantile(judge_score, np.linspace(0, 1, MAX_BINS + 1))
        edges_index = np.clip(np.searchsorted(edges, judge_score, side="right") - 1, 0, MAX_BINS - 1)
        n_bins = MAX_BINS
    count = np.bincount(edges_index, minlength=n_bins)
    present = count > 0
    total = np.bincount(edges_index, weights=outcome, minlength=n_bins)
    square = np.bincount(edges_index, weights=outcome**2, minlength=n_bins)
    score_total = np.bincount(edges_index, weights=judge_score, minlength=n_bins)
    count, total, square, score_total = count[present], total[present], square[present], score_total[present]
    mean = total / count
    variance = np.maximum(square / count - mean**2, 0.0) * count / np.maximum(count - 1, 1)
    return CalibrationBins(score_total / count, mean, np.sqrt(variance / count), count)


def label_support(fresh_judge: np.ndarray, labelled_judge: np.ndarray, *, radius: float = 0.05,
                  minimum: int = 5) -> float:
    """Share of fresh draws whose judge score has fewer than ``minimum``
    labelled rows within ``radius``: where the calibration is extrapolating."""
    if fresh_judge.size == 0:
        return float("nan")
    ordered = np.sort(labelled_judge)
    upper = np.searchsorted(ordered, fresh_judge + radius + 1e-12, side="right")
    lower = np.searchsorted(ordered, fresh_judge - radius - 1e-12, side="left")
    return float(np.mean((upper - lower) < minimum))
