"""How many oracle labels on a target policy's own responses (its probe slice)
make its transport check decisive.

The check (:mod:`cje.diagnostics.transport`) passes when the 90% interval of
the gap (oracle minus calibrated prediction on the policy's responses) lies
inside ``[-margin, margin]`` and fails when it lies wholly outside. With ``k``
probe labels the gap's SE is ``sqrt(s**2 / k + c**2)``: ``s`` the residual
spread on the policy's responses, ``c`` the calibrator's own error in their
mean (fixed by the logger's labels, not by ``k``). If the true gap is ``g``,
the estimate is about normal around it, and the probability of a decisive
verdict (pass when ``|g| < margin``, fail otherwise) follows; the slice size is
the smallest ``k`` that reaches the wanted probability.
"""

from __future__ import annotations

import math

from scipy.special import ndtr, ndtri, stdtrit

from cje.diagnostics.transport import AUDIT_LEVEL
from cje.inference.intervals import satterthwaite_df

MAX_PROBE_LABELS = 100_000


def decisive_probability(k: int, *, residual_sd: float, calibration_se: float, gap: float, margin: float,
                         calibration_df: float | None = None) -> float:
    """Probability that ``k`` probe labels give a pass (``|gap| < margin``) or
    a fail (otherwise)."""
    sampling = residual_sd**2 / k
    se = math.sqrt(sampling + calibration_se**2)
    if se == 0:
        return 1.0 if abs(gap) != margin else 0.0
    df = satterthwaite_df(sampling, max(k - 1, 1), calibration_se**2, calibration_df)
    p = 0.5 + AUDIT_LEVEL / 2
    t = float(ndtri(p) if not math.isfinite(df) else stdtrit(df, p))
    upper, lower = (margin - gap) / se, (-margin - gap) / se
    if abs(gap) < margin:
        return max(0.0, float(ndtr(upper - t) - ndtr(lower + t)))
    return float(ndtr(-(upper + t)) + ndtr(lower - t))


def probe_labels_needed(*, residual_sd: float, calibration_se: float, margin: float, gap: float = 0.0,
                        power: float = 0.8, calibration_df: float | None = None) -> int | None:
    """The fewest probe labels giving a decisive verdict with ``power``
    (None: not reachable, because the calibrator's own error or a gap too
    close to the margin leaves too little room)."""
    if not 0 < power < 1:
        raise ValueError("power must be in (0, 1)")
    if margin <= 0:
        raise ValueError("the margin must be above zero")

    def enough(k: int) -> bool:
        return decisive_probability(k, residual_sd=residual_sd, calibration_se=calibration_se, gap=gap,
                                    margin=margin, calibration_df=calibration_df) >= power

    if not enough(MAX_PROBE_LABELS):
        return None
    low, high = 2, MAX_PROBE_LABELS
    if enough(low):
        return low
    while high - low > 1:
        middle = (low + high) // 2
        if enough(middle):
            high = middle
        else:
            low = middle
    return high
