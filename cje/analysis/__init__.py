"""Analysis orchestration: from a loaded dataset to gated estimates.

The names below load on first use, so importing :mod:`cje.analysis.registry`
(whose estimator names every ``--help`` lists) does not import numpy.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cje.analysis.registry import EstimatorSpec, estimator_names, get_spec, register
    from cje.analysis.run import AnalysisResult, Failure, analyze
    from cje.analysis.settings import AnalysisSettings

_HOMES = {
    "AnalysisResult": "run",
    "AnalysisSettings": "settings",
    "EstimatorSpec": "registry",
    "Failure": "run",
    "analyze": "run",
    "estimator_names": "registry",
    "get_spec": "registry",
    "register": "registry",
}

__all__ = [
    "AnalysisResult",
    "AnalysisSettings",
    "EstimatorSpec",
    "Failure",
    "analyze",
    "estimator_names",
    "get_spec",
    "register",
]


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(f"{__name__}.{_HOMES[name]}"), name)
