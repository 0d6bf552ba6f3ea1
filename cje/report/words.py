"""Diagnostics said in words, the same in the console, the text report, the
figures and the HTML page."""

from __future__ import annotations

import math

from cje.analysis.run import AnalysisResult
from cje.diagnostics.gates import WARN_HILL_INDEX


def tail_words(hill_index: float) -> str:
    """The raw weights' tail, from the Hill index."""
    if math.isnan(hill_index):
        return "tail not measured (too few rows)"
    if math.isinf(hill_index):
        return "no heavy tail (the largest weights are all equal)"
    if hill_index < WARN_HILL_INDEX:
        return (f"heavy tail: the largest weights fall off so slowly (index {hill_index:.2f} < 2) that their "
                "variance is infinite")
    return f"tail index {hill_index:.2f} (2 or more: finite variance)"


def short_tail_words(hill_index: float) -> str:
    """Three words or so, for a figure title."""
    if math.isnan(hill_index):
        return "tail not measured"
    if math.isinf(hill_index):
        return "no heavy tail"
    return f"{'heavy' if hill_index < WARN_HILL_INDEX else 'light'} tail (index {hill_index:.1f})"


def labels_words(result: AnalysisResult) -> str:
    """How many oracle labels the run kept, and what was done with them."""
    rewards = result.rewards
    if rewards is None:
        return f"no rewards: {result.reward_error}"
    kept = f"{rewards.n_kept_labels} of {rewards.n_available_labels} oracle labels kept"
    if rewards.source == "outcomes":
        return kept + "; every row has an oracle label or reward, so nothing is calibrated"
    return kept


def run_words(result: AnalysisResult, data_label: str) -> str:
    """Data, oracle coverage, labels and seed: what tells one run from another."""
    settings = result.settings
    return (f"{data_label} · oracle coverage {settings.oracle_coverage:g} ({labels_words(result)}) · "
            f"seed {settings.seed}")


def n_labels(result: AnalysisResult) -> int:
    """Oracle labels kept (0 when no rewards could be formed)."""
    return 0 if result.rewards is None else result.rewards.n_kept_labels
