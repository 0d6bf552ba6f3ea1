"""Analysis orchestration: from a loaded dataset to gated estimates."""

from cje.analysis.run import AnalysisResult, Failure, analyze
from cje.analysis.settings import DR_COMPONENTS, ESTIMATORS, AnalysisSettings

__all__ = ["AnalysisResult", "AnalysisSettings", "DR_COMPONENTS", "ESTIMATORS", "Failure", "analyze"]
