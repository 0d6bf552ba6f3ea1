"""Is the judge worth calibrating, and does a policy look different to it?

* **Information**: a judge whose scores take one value, or whose scores show
  no monotone relation to the oracle labels that could not be noise, carries
  nothing a calibration can use; every calibrated estimate would then be the
  logged mean in disguise, with a deceptively narrow interval.
* **Shift**: whether a target policy's fresh draws get judge scores
  distributed differently from the logger's. If they do not, a calibration
  that holds for the logger is unlikely to mislead much for that policy; if
  they do, the calibration's transport is an assumption that must be checked.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

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
        result = stats.kendalltau(judge_score, label, alternative="greater")
        tau, p_value = float(result.statistic), float(result.pvalue)
    return JudgeInformation(int(label.size), n_levels, n_values, tau, p_value)


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
    result = stats.ks_2samp(fresh_judge, logged_judge, method="asymp")
    return JudgeShift(float(result.statistic), float(result.pvalue))
