"""From results to figures: gather each figure's data, draw it, save it.

The drawing functions take plain data; this module picks that data out of an
analysis (with the statistics the diagnostics already computed), so that
every figure of a run shares its caption, policy colours and order.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from cje.analysis.registry import Family, get_spec
from cje.analysis.run import Failure, map_used
from cje.diagnostics.calibration import calibration_bins
from cje.diagnostics.weights import weight_concentration
from cje.inference.influence import influence_se, mean_term_influence
from cje.inference.intervals import t_interval
from cje.io.atomic import write_text_atomic
from cje.plots.calibration import CalibrationMap, PolicyScores, plot_calibration_comparison
from cje.plots.forest import ForestRow, plot_policy_estimates, zoom_range
from cje.plots.style import Caption, Look, policy_looks
from cje.plots.sweep import plot_coverage_sweep, sweep_points
from cje.plots.weights import PolicyWeights, plot_weight_dashboard
from cje.report.extreme_weights import extreme_weights_report
from cje.report.words import labels_words

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from cje.analysis.inputs import PolicyInputs
    from cje.coverage_sweep import Sweep
    from cje.results import Results

MIN_PROBE_LABELS = 10
"""Fewer oracle labels on a policy's own draws than this: no probe mean drawn."""


def save_analysis_plots(results: Results, directory: str | Path) -> list[Path]:
    """Save ``weight_dashboard.png``, ``calibration_comparison.png``,
    ``policy_estimates.png`` and ``extreme_weights_analysis.txt`` (each only
    when there is something to draw). Returns the paths written."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    written = [_save(figure, directory / f"{name}.png") for name, figure in analysis_figures(results).items()]
    text_path = directory / "extreme_weights_analysis.txt"
    write_text_atomic(text_path, extreme_weights_report(results.analysis, results.dataset.logged))
    return [*written, text_path]


def save_sweep_plots(sweep: Sweep, directory: str | Path) -> list[Path]:
    """Save ``coverage_sweep.png``; returns its path in a list."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    return [_save(sweep_figure(sweep), directory / "coverage_sweep.png")]


def analysis_figures(results: Results) -> dict[str, Figure]:
    """The run's figures by file stem, each only when there is something to draw."""
    _use_agg()
    figures = {
        "policy_estimates": _forest_figure(results),
        "calibration_comparison": _calibration_figure(results),
        "weight_dashboard": _weight_figure(results),
    }
    return {name: figure for name, figure in figures.items() if figure is not None}


def png_bytes(figure: Figure) -> bytes:
    """The figure as PNG (the figure is closed)."""
    import matplotlib.pyplot as plt

    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    plt.close(figure)
    return buffer.getvalue()


def _save(figure: Figure, path: Path) -> Path:
    path.write_bytes(png_bytes(figure))  # bbox "tight" keeps legends placed outside the axes
    return path


def _use_agg() -> None:
    import matplotlib

    matplotlib.use("Agg")


def caption(results: Results) -> Caption:
    settings = results.settings
    return Caption(results.data_label, results.estimators,
                   f"{settings.oracle_coverage:g} ({labels_words(results.analysis)})", settings.seed)


def looks(results: Results) -> dict[str, Look]:
    return policy_looks(results.dataset.logged.policies)


def _forest_figure(results: Results) -> Figure | None:
    result = results.analysis
    level = result.settings.ci_level
    rows = []
    for policy in result.policies:
        for estimator in result.settings.estimators:
            outcome = result.results.get((estimator, policy))
            if outcome is None or isinstance(outcome, Failure):
                continue
            low, high = outcome.ci(level)
            status = str(result.statuses[(estimator, policy)].level)
            rows.append(ForestRow(policy, estimator, outcome.value, low, high, status))
    if not rows:
        return None
    baselines = {e for e in results.estimators if get_spec(e).family is Family.BASELINE}
    zoom = zoom_range(rows, results.truth, ranking=results.headline_estimator, ignore=baselines)
    return plot_policy_estimates(rows, ci_level=level, policy_looks=looks(results), caption=caption(results),
                                 truth=results.truth, zoom=zoom)


def _weight_figure(results: Results) -> Figure | None:
    data = {}
    for policy, summary in results.analysis.policies.items():
        if summary.weights is None or summary.calibrated is None:
            continue
        data[policy] = PolicyWeights(
            raw=summary.inputs.weight,
            calibrated=summary.calibrated.weight,
            diagnostics=summary.weights,
            raw_curve=weight_concentration(summary.inputs.weight),
            calibrated_curve=weight_concentration(summary.calibrated.weight),
        )
    if not data:
        return None
    return plot_weight_dashboard(data, policy_looks=looks(results), caption=caption(results))


def _calibration_figure(results: Results) -> Figure | None:
    result = results.analysis
    rewards = result.rewards
    if rewards is None:
        return None
    model = rewards.model
    labelled_judge = results.dataset.logged.judge_score[model.outcome_mask]
    bins = calibration_bins(labelled_judge, model.outcome[model.outcome_mask])
    fitted, reason = _map_drawn(results)
    level = result.settings.ci_level
    predict = model.predict if fitted is not None else None
    scores = {policy: _policy_scores(summary.inputs, predict, level)
              for policy, summary in result.policies.items() if summary.inputs.fresh_judge.size}
    return plot_calibration_comparison(bins, fitted, labelled_judge, scores, policy_looks=looks(results),
                                       caption=caption(results), no_map_reason=reason, ci_level=level)


def _map_drawn(results: Results) -> tuple[CalibrationMap | None, str]:
    """The map, and in what role, when the run fitted one and some estimator
    used it; else None and why not."""
    rewards = results.analysis.rewards
    assert rewards is not None
    calibrated = rewards.source == "calibrated"
    users = [name for name in results.estimators if map_used(name, calibrated)]
    if not users:
        return None, ("every logged row has an oracle label, used as the reward,\nand no estimator of this run "
                      "scores fresh draws with a map")
    role = ("calibration map (isotonic)" if calibrated
            else "judge -> oracle map: the outcome model for fresh draws (rewards are the labels)")
    curve = np.linspace(0, 1, 201)
    return CalibrationMap(curve, rewards.model.predict(curve), role, rewards.out_of_fold_rmse), ""


def _policy_scores(inputs: PolicyInputs, predict: Callable[[np.ndarray], np.ndarray] | None,
                   level: float) -> PolicyScores:
    """Raw and (when a map is drawn) calibrated means of the fresh draws, and
    the oracle mean of its labelled draws with its interval."""
    fresh = inputs.fresh_judge
    labelled = np.isfinite(inputs.fresh_oracle)
    n_probe = int(labelled.sum())
    calibrated = None if predict is None else float(np.mean(predict(fresh)))
    scores = PolicyScores(fresh, float(fresh.mean()), calibrated)
    if n_probe < MIN_PROBE_LABELS:
        return scores
    label = inputs.fresh_oracle[labelled]
    prompts, local = np.unique(inputs.direct_fresh_cluster[labelled], return_inverse=True)
    mean = float(label.mean())
    se = influence_se(mean_term_influence(label, local.reshape(-1), prompts.size))
    low, high = t_interval(mean, se, max(prompts.size - 1, 1), level)
    return scores._replace(probe_mean=mean, probe_low=max(low, 0.0), probe_high=min(high, 1.0), n_probe=n_probe)


def sweep_figure(sweep: Sweep) -> Figure:
    _use_agg()
    first = sweep.runs[0]
    coverages = ", ".join(f"{c:g}" for c in sweep.coverages)
    return plot_coverage_sweep(
        sweep_points(sweep), policies=first.policies, estimators=first.estimators, policy_looks=looks(first),
        caption=Caption(first.data_label, first.estimators, coverages, first.settings.seed),
        ci_level=first.settings.ci_level, truth=first.truth,
    )
