"""The difference between two policy estimates made on the same prompts.

Two policies evaluated on the same prompts share the prompts' difficulty, and
two estimates that borrow the same judge -> oracle map share its error. The
difference of their values is therefore far more precise than the two
marginal intervals suggest, and comparing the marginal intervals (do they
overlap?) is both conservative and the wrong test.

The difference's uncertainty here has the estimates' own two parts:

* **sampling**: each estimate's influence values are aligned by prompt (the
  estimates may cover different prompt sets) and subtracted, so a prompt that
  is hard for both policies cancels;
* **calibration**: each refit of the oracle jackknife gives both estimates, so
  the jackknife is applied to the differenced replicates and the part of the
  calibrator's error both estimates share cancels too.

Degrees of freedom combine the two by Welch-Satterthwaite, as for a single
estimate. With bootstrap replicates drawn jointly (the same prompt
multiplicities for both policies) the difference's SE is the standard
deviation of the differenced replicates instead.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.special import ndtr, stdtr  # not scipy.stats: its import would triple start-up

from cje.choices import MULTIPLICITY_CHOICES
from cje.estimators.result import Estimate
from cje.inference.influence import influence_se, jackknife_variance
from cje.inference.intervals import Interval, satterthwaite_df, t_interval


@dataclass(frozen=True)
class Difference:
    """``first - second`` for one estimator, with its uncertainty.

    ``p_value`` tests a zero difference (two-sided, unadjusted);
    ``bootstrap`` holds the differenced joint bootstrap replicates when both
    estimates had them: the SE is then their standard deviation and the
    interval and p-value use a normal reference. (Percentile p-values cannot
    fall below 2 / (B + 1): too coarse for a family adjusted for ten pairs.)
    """

    estimator: str
    first: str
    second: str
    value: float
    n: int
    se_sampling: float
    se_calibration: float
    df: float
    bootstrap: np.ndarray | None = field(default=None, repr=False)

    @property
    def se(self) -> float:
        if self.bootstrap is not None:
            return float(np.std(self.bootstrap, ddof=1))
        return float(np.hypot(self.se_sampling, self.se_calibration))

    @property
    def inference(self) -> str:
        if self.bootstrap is not None:
            return "joint prompt-cluster bootstrap (calibrator refit)"
        if self.se_calibration > 0:
            return "paired influence function + oracle jackknife"
        return "paired influence function"

    def ci(self, level: float = 0.95) -> Interval:
        """Interval at ``level`` on the differences' range [-1, 1]."""
        df = float("inf") if self.bootstrap is not None else self.df
        interval = t_interval(self.value, self.se, df, level)
        return Interval(max(interval.low, -1.0), min(interval.high, 1.0))

    @property
    def p_value(self) -> float:
        """Two-sided p-value of a zero difference, from the same normal or t
        reference as the interval."""
        if not np.isfinite(self.se):
            return float("nan")
        if self.se == 0:
            return 1.0 if self.value == 0 else 0.0
        statistic = abs(self.value) / self.se
        df = float("inf") if self.bootstrap is not None else self.df
        if not np.isfinite(df):
            return float(2 * ndtr(-statistic))
        return float(2 * stdtr(df, -statistic))

    def reversed(self) -> Difference:
        """``second - first``."""
        boot = None if self.bootstrap is None else -self.bootstrap
        return Difference(self.estimator, self.second, self.first, -self.value, self.n, self.se_sampling,
                          self.se_calibration, self.df, boot)


def aligned_difference_influence(first: np.ndarray, first_prompt: np.ndarray, second: np.ndarray,
                                 second_prompt: np.ndarray, n_prompts: int) -> np.ndarray:
    """Per-prompt influence of ``mean(first) - mean(second)`` over the union of
    both estimates' prompts.

    ``*_prompt`` give each influence position's prompt as a code in
    ``[0, n_prompts)`` shared by both estimates (each code at most once per
    estimate). Each estimate satisfies ``value - truth ~ mean(influence)`` over
    its own prompts, so its prompt ``i`` adds ``influence_i / n`` to the error;
    over the ``N`` prompts of the union the difference's influence is
    ``N * (first_i / n_first - second_i / n_second)`` (zero where a policy has
    no value for the prompt), whose :func:`influence_se` is the paired SE.
    """
    for influence, prompt, which in ((first, first_prompt, "first"), (second, second_prompt, "second")):
        if influence.size != prompt.size:
            raise ValueError(f"{which} estimate: {influence.size} influence values for {prompt.size} prompts")
        if influence.size == 0:
            raise ValueError(f"{which} estimate has no influence values")
    present = np.zeros(n_prompts, dtype=bool)
    present[first_prompt] = True
    present[second_prompt] = True
    n_union = int(present.sum())
    combined = (np.bincount(first_prompt, weights=first / first.size, minlength=n_prompts)
                - np.bincount(second_prompt, weights=second / second.size, minlength=n_prompts))
    return combined[present] * n_union


def _replicate_difference(first: Estimate, second: Estimate) -> np.ndarray | None:
    """The jackknife replicates of ``first - second``: an estimate that took no
    calibration variance (its own labels corrected it, or it never used the
    map) enters at its value in every refit."""
    a, b = first.replicates, second.replicates
    if a is None and b is None:
        return None
    if a is not None and b is not None and a.size != b.size:
        raise ValueError(f"{first.policy} and {second.policy} have jackknife replicates from different refits "
                         f"({a.size} and {b.size})")
    size = a.size if a is not None else b.size  # type: ignore[union-attr]
    a = np.full(size, first.value) if a is None else a
    b = np.full(size, second.value) if b is None else b
    return a - b


def _sampling_df(first: Estimate, second: Estimate, n_union: int) -> float:
    """Prompts - 1, unless either estimate's sampling variance rests on fewer
    rows (its own oracle labels): then the smaller of the two."""
    dfs = [e.df_sampling for e in (first, second) if e.df_sampling is not None]
    return min([max(n_union - 1, 1), *dfs])


def paired_difference(first: Estimate, first_prompt: np.ndarray, second: Estimate, second_prompt: np.ndarray,
                      *, n_prompts: int) -> Difference:
    """``first - second`` with its paired SE (see the module docstring).

    ``*_prompt`` code the prompt of each influence position (see
    :func:`aligned_difference_influence`). Joint bootstrap replicates are used
    when both estimates have the same number of them.
    """
    influence = aligned_difference_influence(first.influence, first_prompt, second.influence, second_prompt,
                                             n_prompts)
    replicates = _replicate_difference(first, second)
    se_calibration = 0.0 if replicates is None else float(np.sqrt(jackknife_variance(replicates)))
    se_sampling = influence_se(influence)
    calibration_df = None if replicates is None else replicates.size - 1
    df = satterthwaite_df(se_sampling**2, _sampling_df(first, second, influence.size), se_calibration**2,
                          calibration_df)
    bootstrap = None
    if first.bootstrap is not None and second.bootstrap is not None and first.bootstrap.size == second.bootstrap.size:
        bootstrap = first.bootstrap - second.bootstrap
    return Difference(first.estimator, first.policy, second.policy, first.value - second.value, influence.size,
                      se_sampling, se_calibration, df, bootstrap)


def adjust_p_values(p_values: np.ndarray, method: str = "holm") -> np.ndarray:
    """Family-wise (Holm) or false-discovery-rate (Benjamini-Hochberg)
    adjusted p-values; ``none`` returns them unchanged. NaN stays NaN and is
    not counted in the family."""
    if method not in MULTIPLICITY_CHOICES:
        raise ValueError(f"multiplicity adjustment must be one of {MULTIPLICITY_CHOICES}, got {method!r}")
    p = np.asarray(p_values, dtype=float)
    adjusted = p.copy()
    finite = np.flatnonzero(np.isfinite(p))
    m = finite.size
    if method == "none" or m == 0:
        return adjusted
    order = finite[np.argsort(p[finite], kind="stable")]
    ranked = p[order]
    if method == "holm":
        values = np.maximum.accumulate((m - np.arange(m)) * ranked)
    else:
        values = np.minimum.accumulate((m / np.arange(1, m + 1) * ranked)[::-1])[::-1]
    adjusted[order] = np.minimum(values, 1.0)
    return adjusted
