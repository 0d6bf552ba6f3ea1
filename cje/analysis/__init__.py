"""Analysis orchestration: from a loaded dataset to gated estimates."""

from cje.analysis.registry import EstimatorSpec, estimator_names, get_spec, register
from cje.analysis.run import AnalysisResult, Failure, analyze
from cje.analysis.settings import AnalysisSettings

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
