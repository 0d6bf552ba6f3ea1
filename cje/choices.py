"""Named choices shared by the command line and the library.

This module imports nothing, so a script can build its ``--help`` from these
names without loading numpy; the modules that implement each choice import
their names from here.
"""

SCALES: dict[str, tuple[float, float]] = {
    "0-1": (0.0, 1.0),
    "0-10": (0.0, 10.0),
    "1-10": (1.0, 10.0),
    "0-100": (0.0, 100.0),
}
"""Score scales a judge or oracle may report on: name -> (lowest, highest)."""

SCALE_CHOICES = ("auto", *SCALES)
INFERENCE_CHOICES = ("jackknife", "bootstrap")
OMEGA_CHOICES = ("w", "w2", "snips")
"""MRDR fitting weights (see :mod:`cje.estimators.mrdr`)."""

DEFAULT_TRANSPORT_MARGIN = 0.05
"""Largest calibration bias on a target policy that still counts as transporting."""

CALIBRATION_CHOICES = ("auto", "monotone", "two-stage")
"""The judge -> oracle map with covariates (see :mod:`cje.analysis.calibration_choice`)."""
MULTIPLICITY_CHOICES = ("holm", "bh", "none")
"""p-value adjustments of the paired comparisons (see :mod:`cje.inference.paired`)."""
