"""Score scales: 0-1, 0-10, 1-10, 0-100. Detected or declared, never mixed."""

from __future__ import annotations

import numpy as np

from cje.choices import SCALE_CHOICES, SCALES

__all__ = ["AMBIGUOUS", "SCALES", "SCALE_CHOICES", "detect_scale", "outside", "to_unit"]

AMBIGUOUS = "ambiguous"
"""What :func:`detect_scale` says of values that fit several scales equally well."""


def detect_scale(values: np.ndarray) -> str:
    """The narrowest scale that holds every value (NaNs ignored).

    Values up to 1 read as 0-1; up to 10 as 0-10 if any value is below 1, and
    as ``AMBIGUOUS`` if none is (1-10 and 0-10 would both hold them, and the
    two readings differ by up to 0.1 on the unit scale: the user must say);
    up to 100 as 0-100. A file whose values are mostly fractions strictly
    between 0 and 1 is on the 0-1 scale even if a few stray values exceed it
    (those are then reported as out of range, not taken as a wider scale).
    Declare the scale when a file could be read either way, for example a
    0-100 judge that never gave more than 10.
    """
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return "0-1"
    top, bottom = float(finite.max()), float(finite.min())
    fractional = np.mean((finite > 0) & (finite < 1))
    if top <= 1.0 or fractional > 0.5:
        return "0-1"
    if top <= 10.0:
        return AMBIGUOUS if bottom >= 1.0 else "0-10"
    return "0-100"


def to_unit(values: np.ndarray, scale: str) -> np.ndarray:
    """Map scores on ``scale`` linearly onto [0, 1]."""
    low, high = SCALES[scale]
    return (values - low) / (high - low)


def outside(values: np.ndarray, scale: str) -> np.ndarray:
    """Mask of finite values that do not lie on ``scale``."""
    low, high = SCALES[scale]
    with np.errstate(invalid="ignore"):
        return np.isfinite(values) & ((values < low) | (values > high))
