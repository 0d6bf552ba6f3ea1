"""Does the judge -> oracle map learned on the logger hold for a target policy?

Every estimator that scores a target policy's responses with the logger's
calibration assumes it does. Two pieces of evidence can say otherwise:

* **own labels**: oracle labels on some of the policy's own fresh draws (a
  probe slice). Their mean residual against the calibrated prediction
  estimates the bias directly. Its variance has two parts: the labels'
  sampling variance and the calibrator's own error (the spread of the mean
  prediction over the oracle jackknife's refits); ignoring the second makes
  the check fire too often when the calibration rests on few labels.
* **orthogonality with raw weights**: the logger's labelled residuals,
  importance-weighted to the target policy, estimate the same bias from the
  logged data. It is trusted only where the raw weights overlap well enough.

Each piece is an audit against a pre-declared margin ``delta``:
``pass`` when the 90% interval of the gap lies inside ``[-delta, delta]``
(an equivalence test at the 5% level), ``fail`` when it lies wholly outside,
``inconclusive`` otherwise. The verdict: any fail is a fail; else any pass is
a pass; else inconclusive when some evidence exists, ``not-checked`` when none.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import numpy as np

from cje.choices import DEFAULT_TRANSPORT_MARGIN
from cje.inference.influence import influence_se, jackknife_variance, mean_term_influence
from cje.inference.intervals import Interval, satterthwaite_df, t_interval

AUDIT_LEVEL = 0.90
DEFAULT_MARGIN = DEFAULT_TRANSPORT_MARGIN
MIN_OWN_LABELS = 2
MIN_ORTHOGONALITY_RAW_ESS = 0.10
MIN_ORTHOGONALITY_EFFECTIVE_LABELS = 10.0


class Audit(StrEnum):
    PASS = "pass"
    FAIL = "fail"
    INCONCLUSIVE = "inconclusive"
    NOT_CHECKED = "not-checked"


@dataclass(frozen=True)
class TransportCheck:
    """The gap (oracle minus calibrated prediction) on the target policy,
    with its standard error and degrees of freedom."""

    mean_residual: float
    se: float
    n_labels: int
    df: float
    se_calibration: float = 0.0

    def ci(self, level: float = 0.95) -> Interval:
        return t_interval(self.mean_residual, self.se, self.df, level)

    def audit(self, margin: float) -> Audit:
        if not np.isfinite(self.se):
            return Audit.INCONCLUSIVE
        low, high = self.ci(AUDIT_LEVEL)
        if -margin < low and high < margin:
            return Audit.PASS
        if high < -margin or low > margin:
            return Audit.FAIL
        return Audit.INCONCLUSIVE


@dataclass(frozen=True)
class TransportVerdict:
    """One policy's transport verdict and the evidence behind it.

    ``orthogonality_trusted`` is False when the raw weights overlap too little
    for that check to pass (it may still fail).
    """

    audit: Audit
    margin: float
    own_labels: TransportCheck | None
    own_labels_audit: Audit
    orthogonality: TransportCheck | None
    orthogonality_audit: Audit

    @property
    def based_on(self) -> tuple[str, ...]:
        """Which evidence decided, in words a report can print."""
        parts = []
        if self.own_labels is not None:
            parts.append(f"{self.own_labels.n_labels} oracle labels on its own responses "
                         f"({self.own_labels_audit})")
        if self.orthogonality is not None:
            parts.append(f"raw-weighted logged residuals ({self.orthogonality_audit})")
        return tuple(parts)


def own_label_check(
    oracle_label: np.ndarray,
    prediction: np.ndarray,
    cluster: np.ndarray,
    *,
    refit_predictions: np.ndarray | None = None,
) -> TransportCheck | None:
    """The mean residual of the policy's labelled fresh draws (None below
    ``MIN_OWN_LABELS``). ``refit_predictions`` (one row per jackknife refit,
    aligned with ``prediction``) adds the calibrator's error to the SE."""
    labelled = np.isfinite(oracle_label)
    n_labels = int(labelled.sum())
    if n_labels < MIN_OWN_LABELS:
        return None
    residual = oracle_label[labelled] - prediction[labelled]
    prompts, local = np.unique(cluster[labelled], return_inverse=True)
    sampling_se = influence_se(mean_term_influence(residual, local.reshape(-1), prompts.size))
    calibration_var = 0.0
    calibration_df: float | None = None
    if refit_predictions is not None and refit_predictions.shape[0] >= 2:
        calibration_var = jackknife_variance(refit_predictions[:, labelled].mean(axis=1))
        calibration_df = refit_predictions.shape[0] - 1
    df = satterthwaite_df(sampling_se**2, max(prompts.size - 1, 1), calibration_var, calibration_df)
    return TransportCheck(float(residual.mean()), float(np.hypot(sampling_se, np.sqrt(calibration_var))),
                          n_labels, df, float(np.sqrt(calibration_var)))


def orthogonality_check(
    weight: np.ndarray, outcome: np.ndarray, prediction: np.ndarray, labelled: np.ndarray
) -> TransportCheck | None:
    """The self-normalised raw-weighted mean of the logged labelled residuals
    ``outcome - prediction`` (out-of-fold predictions): an estimate of the
    calibration's bias under the target policy."""
    w = weight[labelled]
    if w.size < 2 or w.sum() <= 0:
        return None
    residual = outcome[labelled] - prediction[labelled]
    normalised = w / w.mean()
    value = float(np.sum(normalised * residual) / w.size)
    influence = normalised * (residual - value)
    return TransportCheck(value, influence_se(influence), int(w.size), float(w.size - 1))


def effective_labels(weight: np.ndarray, labelled: np.ndarray) -> float:
    w = weight[labelled]
    return float(w.sum() ** 2 / np.sum(w**2)) if w.size and np.sum(w**2) > 0 else 0.0


def transport_verdict(
    own: TransportCheck | None,
    orthogonality: TransportCheck | None,
    *,
    margin: float,
    raw_ess: float,
    effective_labelled_rows: float,
) -> TransportVerdict:
    own_audit = own.audit(margin) if own is not None else Audit.NOT_CHECKED
    orth_audit = Audit.NOT_CHECKED
    if orthogonality is not None and effective_labelled_rows >= MIN_ORTHOGONALITY_EFFECTIVE_LABELS:
        orth_audit = orthogonality.audit(margin)
        if orth_audit is Audit.PASS and raw_ess < MIN_ORTHOGONALITY_RAW_ESS:
            # Heavy-tailed weights understate the SE; a pass there is not evidence.
            orth_audit = Audit.INCONCLUSIVE
    audits = (own_audit, orth_audit)
    if Audit.FAIL in audits:
        overall = Audit.FAIL
    elif Audit.PASS in audits:
        overall = Audit.PASS
    elif Audit.INCONCLUSIVE in audits:
        overall = Audit.INCONCLUSIVE
    else:
        overall = Audit.NOT_CHECKED
    return TransportVerdict(overall, margin, own, own_audit, orthogonality, orth_audit)
