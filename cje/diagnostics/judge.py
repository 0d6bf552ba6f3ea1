"""Is the judge worth calibrating, and does a policy look different to it?

* **Information**: a judge whose scores take one value, or whose scores show
  no monotone relation to the oracle labels that could not be noise, carries
  nothing a calibration can use; every calibrated estimate would then be the
  logged mean in disguise, with a deceptively narrow interval.
* **Shift**: whether a target policy's fresh draws get judge scores
  distributed differently from the logger's. If they do not, a calibration
  that holds for the logger is unlikely to mislead much for that policy; if
  they do, the calibration's transport is an assumption that must be checked.

Both tests are computed here from numpy and two distribution functions of
``scipy.special``: ``scipy.stats`` would triple an analysis's start-up time.
Kendall's tau-b and its p-value match ``scipy.stats.kendalltau`` with
``method="asymptotic"``; the Kolmogorov-Smirnov statistic matches
``scipy.stats.ks_2samp`` and its p-value is the limiting distribution with
Stephens' small-sample correction, which agrees with ``ks_2samp``'s
``method="asymp"`` to a few percent (with 20 draws per side the exact p-value
can be half as large again: 0.034 against 0.023).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import kolmogorov, ndtr

INFORMATIVE_P_VALUE = 0.05
SHIFT_STATISTIC = 0.03
SHIFT_P_VALUE = 0.05


@dataclass(frozen=True)
class JudgeInformation:
    """How much the judge says about the oracle on the kept labelled rows.

    ``p_value`` is the one-sided p-value of Kendall's tau-b against "no
    positive association" (NaN when undefined: one judge level or one label
    value).
    """

    n_labels: int
    n_judge_levels: int
    n_label_values: int
    kendall_tau: float
    p_value: float

    @property
    def informative(self) -> bool:
        return (self.n_judge_levels > 1 and self.n_label_values > 1
                and bool(self.p_value < INFORMATIVE_P_VALUE))


def judge_information(judge_score: np.ndarray, label: np.ndarray) -> JudgeInformation:
    n_levels = int(np.unique(judge_score).size)
    n_values = int(np.unique(label).size)
    tau = p_value = float("nan")
    if n_levels > 1 and n_values > 1:
        tau, p_value = kendall_tau_b(judge_score, label)
    return JudgeInformation(int(label.size), n_levels, n_values, tau, p_value)


def kendall_tau_b(x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """Kendall's tau-b of ``x`` and ``y`` and the one-sided p-value against
    "no positive association": the normal approximation with the variance of
    the concordance score corrected for ties (Kendall, *Rank Correlation
    Methods*, 1970). NaN for fewer than 3 pairs or a constant variable."""
    n = x.size
    x_rank = np.unique(x, return_inverse=True)[1].reshape(-1)
    y_rank = np.unique(y, return_inverse=True)[1].reshape(-1)
    order = np.lexsort((y_rank, x_rank))
    discordant = _inversions(y_rank[order])
    both_rank = np.unique(x_rank.astype(np.int64) * (int(y_rank.max()) + 1) + y_rank, return_inverse=True)[1]
    x_ties, y_ties, both_ties = (_tie_sums(r) for r in (x_rank, y_rank, both_rank.reshape(-1)))
    pairs = n * (n - 1) / 2
    if n < 3 or x_ties[0] == pairs or y_ties[0] == pairs:
        return float("nan"), float("nan")
    score = pairs - x_ties[0] - y_ties[0] + both_ties[0] - 2 * discordant
    tau = score / np.sqrt((pairs - x_ties[0]) * (pairs - y_ties[0]))
    variance = ((n * (n - 1) * (2 * n + 5) - x_ties[2] - y_ties[2]) / 18
                + x_ties[1] * y_ties[1] / (9 * n * (n - 1) * (n - 2))
                + (2 * x_ties[0]) * (2 * y_ties[0]) / (2 * n * (n - 1)))
    return float(np.clip(tau, -1.0, 1.0)), float(ndtr(-score / np.sqrt(variance)))


def _tie_sums(rank: np.ndarray) -> tuple[float, float, float]:
    """For the tie groups of sizes t: sum t(t-1)/2 (tied pairs), sum
    t(t-1)(t-2) and sum t(t-1)(2t+5), the terms of the variance formula."""
    t = np.bincount(rank).astype(float)
    pairs = t * (t - 1)
    return float(np.sum(pairs / 2)), float(np.sum(pairs * (t - 2))), float(np.sum(pairs * (2 * t + 5)))


def _inversions(values: np.ndarray) -> int:
    """Pairs ``i < j`` with ``values[i] > values[j]`` (non-negative integers),
    by a bottom-up merge sort whose every level is a few vectorised calls."""
    v = values.astype(np.int64)
    n = v.size
    span = int(v.max()) + 1 if n else 1
    position = np.arange(n)
    total = 0
    width = 1
    while width < n:
        block = position // width  # blocks of `width` elements, each sorted already
        pair = block // 2
        right = block % 2 == 1
        left_keys = pair[~right] * span + v[~right]  # sorted: pairs ascend, values ascend within a block
        right_pair = pair[right]
        end_of_left = np.searchsorted(left_keys, (right_pair + 1) * span, side="left")
        at_most = np.searchsorted(left_keys, right_pair * span + v[right], side="right")
        total += int(np.sum(end_of_left - at_most))
        v = v[np.argsort(pair * span + v, kind="stable")]
        width *= 2
    return total


@dataclass(frozen=True)
class JudgeShift:
    """Two-sample Kolmogorov-Smirnov comparison of a policy's fresh judge
    scores with the logger's."""

    statistic: float
    p_value: float

    @property
    def shifted(self) -> bool:
        return self.statistic > SHIFT_STATISTIC and self.p_value < SHIFT_P_VALUE


def judge_shift(fresh_judge: np.ndarray, logged_judge: np.ndarray) -> JudgeShift | None:
    if fresh_judge.size < 2 or logged_judge.size < 2:
        return None
    a, b = np.sort(fresh_judge), np.sort(logged_judge)
    points = np.concatenate([a, b])
    gap = np.searchsorted(a, points, side="right") / a.size - np.searchsorted(b, points, side="right") / b.size
    statistic = float(np.max(np.abs(gap)))
    root_n = np.sqrt(a.size * b.size / (a.size + b.size))
    p_value = float(np.clip(kolmogorov((root_n + 0.12 + 0.11 / root_n) * statistic), 0.0, 1.0))
    return JudgeShift(statistic, p_value)
