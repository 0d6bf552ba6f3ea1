"""The names of the checks an estimator can be subject to.

Kept apart from :mod:`cje.diagnostics.gates` (which applies them) so that the
estimator registry, which lists each estimator's checks, imports no numpy.
"""

from __future__ import annotations

from enum import StrEnum


class Gate(StrEnum):
    """The checks an estimator is subject to (its registry entry lists them)."""

    RAW_JUDGE_SCALE = "raw-judge-scale"
    IPS_OVERLAP = "ips-overlap"
    SUPPORT = "support"
    HEAVY_TAIL = "heavy-tail"
    RAW_WEIGHT_NOISE = "raw-weight-noise"
    CALIBRATED_ESS = "calibrated-ess"
    WEIGHT_CALIBRATION_SHIFT = "weight-calibration-shift"
    DR_OVERLAP = "dr-overlap"
    ORTHOGONALITY = "orthogonality"
    CALIBRATION = "calibration"
    TRANSPORT = "transport"
    LABEL_SUPPORT = "label-support"
    STANDARD_ERROR = "standard-error"
