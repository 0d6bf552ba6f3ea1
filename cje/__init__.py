"""arena-cje: calibrated off-policy estimates of an oracle metric from judge
scores, a slice of oracle labels and teacher-forced log-probabilities.

    >>> import cje
    >>> result = cje.analyze("data/cje_dataset.jsonl", estimators="stacked-dr", oracle_coverage=0.25)  # doctest: +SKIP

``analyze`` returns a :class:`~cje.results.Results`; ``sweep`` runs several
oracle coverages and returns a :class:`~cje.coverage_sweep.Sweep`. Both load on first
use, so ``import cje`` (and every script's ``--help``) stays instant.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

# Before anything heavy: a Ctrl-C while one of this project's programs starts up
# exits quietly (see cje.cli.ctrl_c; it does nothing when cje is merely imported).
from cje.cli import ctrl_c as _ctrl_c  # noqa: F401

if TYPE_CHECKING:
    from cje.coverage_sweep import Sweep, sweep
    from cje.results import Results, analyze

_HOMES = {"analyze": "results", "Results": "results", "sweep": "coverage_sweep", "Sweep": "coverage_sweep"}

__all__ = ["Results", "Sweep", "analyze", "sweep"]


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(f"{__name__}.{_HOMES[name]}"), name)
