"""The calibration comparison: what the judge says vs what the oracle says."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from cje.diagnostics.calibration import CalibrationBins

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure



class PolicyScores(NamedTuple):
    """One policy's fresh-draw judge scores and its three summary numbers."""

    fresh_judge: np.ndarray
    naive_mean: float
    calibrated_mean: float
    probe_oracle_mean: float | None


def plot_calibration_comparison(
    bins: CalibrationBins,
    curve_score: np.ndarray,
    curve_value: np.ndarray,
    labelled_judge: np.ndarray,
    policies: Mapping[str, PolicyScores],
    *,
    out_of_fold_rmse: float,
) -> Figure:
    """Three panels: the judge -> oracle map, where each policy's responses sit
    on the judge scale, and raw vs calibrated means per policy."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 3, figsize=(17, 6.0))
    _map_panel(axes[0], bins, curve_score, curve_value, out_of_fold_rmse)
    _support_panel(axes[1], labelled_judge, policies)
    _means_panel(axes[2], policies)
    fig.suptitle(
        "Calibration: the cheap judge's scores mapped to the oracle's scale, learned on the logging "
        "policy's labelled responses", fontsize=11,
    )
    # Fixed margins: tight_layout costs more than drawing the figure, and the
    # saver crops to the content anyway.
    fig.subplots_adjust(left=0.05, right=0.99, top=0.86, bottom=0.12, wspace=0.42)
    return fig


def _map_panel(ax: Axes, bins: CalibrationBins, curve_score: np.ndarray, curve_value: np.ndarray,
               rmse: float) -> None:
    sizes = 20 + 200 * bins.count / bins.count.max()
    ax.errorbar(bins.score, bins.mean, yerr=1.96 * bins.se, fmt="none", ecolor="grey", alpha=0.7)
    ax.scatter(bins.score, bins.mean, s=sizes, color="tab:blue", alpha=0.8,
               label="mean oracle label per judge score (size = count, bars = 95% CI)")
    ax.plot(curve_score, curve_value, color="tab:orange", lw=2, label="calibration map (isotonic)")
    ax.plot([0, 1], [0, 1], color="black", ls=":", lw=1, label="judge taken at face value")
    ax.set_xlim(-0.02, 1.02)
    ax.set_ylim(-0.02, 1.02)
    ax.set_xlabel("judge score (0-1)")
    ax.set_ylabel("oracle label (0-1)")
    ax.set_title(f"Judge -> oracle map ({int(bins.count.sum())} labels, out-of-fold RMSE {rmse:.3f})",
                 fontsize=10)
    ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.13), ncol=1)


def _support_panel(ax: Axes, labelled_judge: np.ndarray, policies: Mapping[str, PolicyScores]) -> None:
    bins = np.linspace(-0.025, 1.025, 22)  # centred on the 0.05 grid judges often use
    ax.hist(labelled_judge, bins=bins.tolist(), density=True, color="grey", alpha=0.35,
            label="labelled logged rows (where the map is learned)")
    for policy, scores in policies.items():
        ax.hist(scores.fresh_judge, bins=bins.tolist(), density=True, histtype="step", lw=1.6, label=policy)
    ax.set_xlabel("judge score (0-1)")
    ax.set_ylabel("density")
    ax.set_title("Where each policy's fresh responses fall on the judge scale", fontsize=10)
    ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.13), ncol=2)


def _means_panel(ax: Axes, policies: Mapping[str, PolicyScores]) -> None:
    names = list(policies)
    y = np.arange(len(names))
    naive = [policies[p].naive_mean for p in names]
    calibrated = [policies[p].calibrated_mean for p in names]
    ax.scatter(naive, y, marker="o", facecolors="none", edgecolors="tab:red", s=60,
               label="raw judge mean (naive)")
    ax.scatter(calibrated, y, marker="o", color="tab:blue", s=60, label="calibrated mean")
    for i, p in enumerate(names):
        ax.plot([naive[i], calibrated[i]], [i, i], color="grey", lw=1)
        probe = policies[p].probe_oracle_mean
        if probe is not None:
            ax.scatter([probe], [i], marker="D", color="black", s=45,
                       label="oracle mean of the policy's own labelled draws (probe)")
    ax.set_yticks(y, names)
    ax.set_xlim(0, 1)
    ax.set_xlabel("mean score of the policy's fresh responses (0-1)")
    ax.set_title("Raw judge vs calibrated, per policy", fontsize=10)
    handles, labels = ax.get_legend_handles_labels()
    unique = dict(zip(labels, handles))
    ax.legend(unique.values(), unique.keys(), fontsize=7, loc="upper center",
              bbox_to_anchor=(0.5, -0.13), ncol=1)
