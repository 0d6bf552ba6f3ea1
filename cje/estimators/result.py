"""The frozen result every estimator returns."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from cje.errors import EstimationError
from cje.inference.influence import influence_se, jackknife_variance
from cje.inference.intervals import Interval, clip_interval, satterthwaite_df, t_interval


@dataclass(frozen=True)
class Correction:
    """The doubly robust correction term: the weighted mean of labelled
    residuals ``w * (outcome - prediction)``, with its standard error. A
    correction far from zero means the outcome model is off for this policy
    and the weights are fixing it (the orthogonality check)."""

    value: float
    se: float
    n_labels: int

    def ci(self, level: float = 0.95) -> Interval:
        return t_interval(self.value, self.se, float("inf"), level)


@dataclass(frozen=True)
class Estimate:
    """A policy value estimate with its uncertainty.

    ``influence`` holds one value per prompt with ``value - truth ~
    mean(influence)``; ``se_sampling`` comes from it. ``se_calibration`` is the
    oracle-uncertainty term from a delete-one-oracle-fold jackknife (zero when
    nothing was calibrated); ``replicates`` are that jackknife's estimates.
    ``bootstrap`` holds prompt-cluster bootstrap replicates when that inference
    was asked for: the interval is then their percentile interval.
    ``df_sampling`` overrides the sampling variance's degrees of freedom (n - 1)
    when part of that variance comes from few rows (a policy's own oracle
    labels). ``own_labels`` counts the oracle labels on the policy's own
    responses that corrected the estimate (0: none); such an estimate is
    unbiased whatever the calibration, so it takes no calibration variance.
    """

    estimator: str
    policy: str
    value: float
    n: int
    se_sampling: float
    influence: np.ndarray = field(repr=False)
    se_calibration: float = 0.0
    replicates: np.ndarray | None = field(default=None, repr=False)
    bootstrap: np.ndarray | None = field(default=None, repr=False)
    correction: Correction | None = None
    stack_weights: tuple[tuple[str, float], ...] = ()
    n_dropped: int = 0
    notes: tuple[str, ...] = ()
    df_sampling: float | None = None
    own_labels: int = 0

    @property
    def se(self) -> float:
        if self.bootstrap is not None:
            return float(np.std(self.bootstrap, ddof=1))
        return float(np.hypot(self.se_sampling, self.se_calibration))

    @property
    def calibration_share(self) -> float:
        """Share of the variance due to the oracle slice being finite."""
        total = self.se_sampling**2 + self.se_calibration**2
        return 0.0 if total == 0 else self.se_calibration**2 / total

    @property
    def df(self) -> float:
        calibration_df = None if self.replicates is None else self.replicates.size - 1
        sampling_df = max(self.n - 1, 1) if self.df_sampling is None else self.df_sampling
        return satterthwaite_df(self.se_sampling**2, sampling_df, self.se_calibration**2, calibration_df)

    @property
    def inference(self) -> str:
        if self.bootstrap is not None:
            return "cluster bootstrap (calibrator refit)"
        if self.replicates is not None:
            return "influence function + oracle jackknife"
        return "influence function"

    def ci(self, level: float = 0.95) -> Interval:
        """Confidence interval at ``level``, intersected with [0, 1] (rewards
        live there; an interval reaching past the range says nothing more)."""
        if self.bootstrap is not None:
            tail = (1 - level) / 2 * 100
            low, high = np.percentile(self.bootstrap, [tail, 100 - tail])
            return clip_interval(Interval(float(low), float(high)))
        return clip_interval(t_interval(self.value, self.se, self.df, level))

    def with_bootstrap(self, replicates: np.ndarray) -> Estimate:
        """This estimate with its uncertainty taken from bootstrap replicates."""
        return replace(self, bootstrap=np.asarray(replicates, dtype=float))

    def with_calibration(self, replicates: np.ndarray) -> Estimate:
        """This estimate plus the jackknife's calibration variance."""
        replicates = np.asarray(replicates, dtype=float)
        return replace(
            self,
            se_calibration=float(np.sqrt(jackknife_variance(replicates))),
            replicates=replicates,
        )


def estimate_from_influence(
    estimator: str,
    policy: str,
    value: float,
    influence: np.ndarray,
    *,
    correction: Correction | None = None,
    n_dropped: int = 0,
    df_sampling: float | None = None,
    own_labels: int = 0,
) -> Estimate:
    """Build an :class:`Estimate` whose sampling SE comes from ``influence``.

    A value that is not a finite number is an error with a reason, never a
    silent NaN in a table.
    """
    if not np.isfinite(value):
        raise EstimationError(f"{estimator} for {policy} is not a number ({value})")
    return Estimate(
        estimator=estimator,
        policy=policy,
        value=float(value),
        n=int(influence.size),
        se_sampling=influence_se(influence),
        influence=influence,
        correction=correction,
        n_dropped=n_dropped,
        df_sampling=df_sampling,
        own_labels=own_labels,
    )
