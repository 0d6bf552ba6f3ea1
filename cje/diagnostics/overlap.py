"""How much of a target policy's probability mass the logger ever visits.

Mean-one weights hide a support gap: if the target often writes responses
the logger never writes, the logged rows carry only part of the target's mass
and renormalising the weights to mean one quietly drops the rest. Two
measures see it:

* the **mean raw weight** ``mean(p_target / p_logger)`` over the logged rows,
  computed in log space. Its expectation is the share of the target's mass
  inside the logger's support: one when the logger covers everything, less
  when it does not (and above one only if the log-probs are inconsistent);
* the **target coverage**: the share of the target's own fresh draws that the
  logger produces at least ``1 / MAX_COVERED_WEIGHT`` as often as the target
  does, from both policies' log-probs of those draws (when the data has them).
"""

from __future__ import annotations

import numpy as np
from scipy.special import logsumexp

from cje.inference.influence import influence_se, mean_term_influence
from cje.inference.intervals import Measurement

MAX_COVERED_WEIGHT = 100.0
SUPPORT_GAP_BELOW = 0.95
"""A mean raw weight whose 95% interval lies below this marks a support gap."""
DIFFERENT_COVERAGE_BELOW = 0.90
"""A target whose own draws the logger covers less often than this writes
responses unlike the logger's."""


def mean_raw_weight(log_weight: np.ndarray) -> Measurement:
    """``mean(exp(log_weight))`` and its SE without exponentiating a raw
    log-ratio: both are scaled by ``exp(max)`` only at the end."""
    log_weight = np.asarray(log_weight, dtype=float)
    n = log_weight.size
    if n == 0:
        return Measurement(float("nan"), float("nan"), 0)
    top = float(log_weight.max())
    log_mean = float(logsumexp(log_weight) - np.log(n))
    scaled = np.exp(log_weight - top)
    sd = float(np.std(scaled, ddof=1)) if n > 1 else float("nan")
    # exp(top) can overflow for absurd inputs; then the SE is simply unknown.
    with np.errstate(over="ignore"):
        se = sd * float(np.exp(top)) / np.sqrt(n)
        value = float(np.exp(log_mean))
    return Measurement(value, se if np.isfinite(se) else float("nan"), n)


def target_coverage(
    target_logprob: np.ndarray, logger_logprob: np.ndarray, cluster: np.ndarray
) -> Measurement | None:
    """From the log-probs of the target's own draws under the target and the
    logger (NaN where unknown); None when no draw has both."""
    known = np.isfinite(target_logprob) & np.isfinite(logger_logprob)
    if not known.any():
        return None
    covered = (target_logprob[known] - logger_logprob[known] <= np.log(MAX_COVERED_WEIGHT)).astype(float)
    prompts, local = np.unique(cluster[known], return_inverse=True)
    se = influence_se(mean_term_influence(covered, local.reshape(-1), prompts.size))
    return Measurement(float(covered.mean()), se, int(known.sum()))
