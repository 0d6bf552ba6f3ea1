"""Off-policy estimators: pure functions from arrays to an :class:`Estimate`."""

from cje.estimators.result import Correction, Estimate

__all__ = ["Correction", "Estimate"]
