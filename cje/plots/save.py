"""Write every figure of an analysis, plus the extreme-weights text, to a directory."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from cje.analysis.run import AnalysisResult, Failure
from cje.data.tables import Dataset
from cje.diagnostics.calibration import calibration_bins
from cje.diagnostics.weights import weight_concentration
from cje.io.atomic import write_text_atomic
from cje.plots.calibration import PolicyScores, plot_calibration_comparison
from cje.plots.forest import ForestRow, plot_policy_estimates
from cje.plots.weights import PolicyWeights, plot_weight_dashboard
from cje.report.extreme_weights import extreme_weights_report

if TYPE_CHECKING:
    from matplotlib.figure import Figure


def save_analysis_plots(
    result: AnalysisResult,
    dataset: Dataset,
    directory: str | Path,
    *,
    truth: Mapping[str, float] | None = None,
) -> list[Path]:
    """Save ``weight_dashboard.png``, ``calibration_comparison.png``,
    ``policy_estimates.png`` and ``extreme_weights_analysis.txt`` (each only
    when there is something to draw). Returns the paths written."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    figures = {
        "weight_dashboard.png": _weight_figure(result),
        "calibration_comparison.png": _calibration_figure(result, dataset),
        "policy_estimates.png": _forest_figure(result, truth),
    }
    for name, figure in figures.items():
        if figure is None:
            continue
        path = directory / name
        figure.savefig(path, dpi=110, bbox_inches="tight")  # keep legends placed outside the axes
        plt.close(figure)
        written.append(path)
    text_path = directory / "extreme_weights_analysis.txt"
    write_text_atomic(text_path, extreme_weights_report(result, dataset.logged))
    written.append(text_path)
    return written


def _weight_figure(result: AnalysisResult) -> Figure | None:
    data = {}
    for policy, summary in result.policies.items():
        if summary.weights is None or summary.calibrated is None:
            continue
        data[policy] = PolicyWeights(
            raw=summary.inputs.weight,
            calibrated=summary.calibrated.weight,
            diagnostics=summary.weights,
            raw_curve=weight_concentration(summary.inputs.weight),
            calibrated_curve=weight_concentration(summary.calibrated.weight),
        )
    return plot_weight_dashboard(data) if data else None


def _calibration_figure(result: AnalysisResult, dataset: Dataset) -> Figure | None:
    rewards = result.rewards
    if rewards is None:
        return None
    model = rewards.model
    labelled_judge = dataset.logged.judge_score[model.outcome_mask]
    bins = calibration_bins(labelled_judge, model.outcome[model.outcome_mask])
    curve = np.linspace(0, 1, 201)
    scores = {}
    for policy, summary in result.policies.items():
        fresh = summary.inputs.fresh_judge
        if fresh.size == 0:
            continue
        labelled = np.isfinite(summary.inputs.fresh_oracle)
        probe = float(summary.inputs.fresh_oracle[labelled].mean()) if labelled.sum() >= 10 else None
        scores[policy] = PolicyScores(fresh, float(fresh.mean()), float(model.predict(fresh).mean()), probe)
    return plot_calibration_comparison(
        bins, curve, model.predict(curve), labelled_judge, scores,
        out_of_fold_rmse=rewards.out_of_fold_rmse,
    )


def _forest_figure(result: AnalysisResult, truth: Mapping[str, float] | None) -> Figure | None:
    level = result.settings.ci_level
    rows = []
    for (estimator, policy), outcome in result.results.items():
        if isinstance(outcome, Failure):
            continue
        low, high = outcome.ci(level)
        status = result.statuses[(estimator, policy)].level
        rows.append(ForestRow(policy, estimator, outcome.value, low, high, status))
    if not rows:
        return None
    return plot_policy_estimates(rows, ci_level=level, truth=truth)
