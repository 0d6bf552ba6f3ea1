"""The calibration comparison: what the judge says vs what the oracle says."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from cje.diagnostics.calibration import CalibrationBins
from cje.plots.style import Caption, Look, top_margin

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure


class PolicyScores(NamedTuple):
    """One policy's fresh-draw judge scores and its summary numbers; the
    probe mean (oracle labels on its own draws) comes with its interval."""

    fresh_judge: np.ndarray
    naive_mean: float
    calibrated_mean: float | None
    probe_mean: float | None = None
    probe_low: float | None = None
    probe_high: float | None = None
    n_probe: int = 0


class CalibrationMap(NamedTuple):
    """The judge -> oracle map drawn (``None`` for a run that fitted or used none)."""

    score: np.ndarray
    value: np.ndarray
    role: str
    out_of_fold_rmse: float


def plot_calibration_comparison(
    bins: CalibrationBins,
    fitted: CalibrationMap | None,
    labelled_judge: np.ndarray,
    policies: Mapping[str, PolicyScores],
    *,
    policy_looks: Mapping[str, Look],
    caption: Caption,
    no_map_reason: str = "",
    ci_level: float = 0.95,
) -> Figure:
    """Three panels: the judge's scores against the oracle labels (with the
    map, when one was used), where each policy's responses sit on the judge
    scale, and raw vs calibrated means per policy beside the oracle mean of
    its own labelled draws."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 3, figsize=(17, 6.2))
    _map_panel(axes[0], bins, fitted, no_map_reason)
    _support_panel(axes[1], labelled_judge, policies, policy_looks, mapped=fitted is not None)
    _means_panel(axes[2], policies, policy_looks, ci_level)
    title = f"Calibration: the judge's scores against the oracle's labels\n{caption.line(150)}"
    fig.suptitle(title, fontsize=11)
    # Fixed margins: tight_layout costs more than drawing the figure, and the
    # saver crops to the content anyway.
    fig.subplots_adjust(left=0.05, right=0.99, top=top_margin(title, fig.get_figheight()), bottom=0.12, wspace=0.42)
    return fig


def _map_panel(ax: Axes, bins: CalibrationBins, fitted: CalibrationMap | None, no_map_reason: str) -> None:
    sizes = 20 + 200 * bins.count / bins.count.max()
    ax.errorbar(bins.score, bins.mean, yerr=1.96 * bins.se, fmt="none", ecolor="grey", alpha=0.7)
    ax.scatter(bins.score, bins.mean, s=sizes, color="tab:blue", alpha=0.8,
               label="mean oracle label per judge score (size = count, bars = 95% CI)")
    if fitted is not None:
        ax.plot(fitted.score, fitted.value, color="tab:orange", lw=2, label=fitted.role)
    ax.plot([0, 1], [0, 1], color="black", ls=":", lw=1, label="judge taken at face value")
    ax.set_xlim(-0.02, 1.02)
    ax.set_ylim(-0.02, 1.02)
    ax.set_xlabel("judge score (0-1)")
    ax.set_ylabel("oracle label (0-1)")
    n = int(bins.count.sum())
    if fitted is not None:
        ax.set_title(f"Judge -> oracle map ({n} labels, out-of-fold RMSE {fitted.out_of_fold_rmse:.3f})",
                     fontsize=10)
    else:
        ax.set_title(f"{n} labelled logged rows; no map drawn:\n{no_map_reason}", fontsize=10)
    ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.13), ncol=1)


def _support_panel(ax: Axes, labelled_judge: np.ndarray, policies: Mapping[str, PolicyScores],
                   policy_looks: Mapping[str, Look], *, mapped: bool) -> None:
    bins = np.linspace(-0.025, 1.025, 22)  # centred on the 0.05 grid judges often use
    ax.hist(labelled_judge, bins=bins.tolist(), density=True, color="grey", alpha=0.35,
            label="labelled logged rows" + (" (where the map is learned)" if mapped else ""))
    for policy, scores in policies.items():
        ax.hist(scores.fresh_judge, bins=bins.tolist(), density=True, histtype="step", lw=1.8,
                color=policy_looks[policy].colour, label=policy)
    ax.set_xlabel("judge score (0-1)")
    ax.set_ylabel("density")
    ax.set_title("Where each policy's fresh responses fall on the judge scale", fontsize=10)
    ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.13), ncol=2)


def _means_panel(ax: Axes, policies: Mapping[str, PolicyScores], policy_looks: Mapping[str, Look],
                 ci_level: float) -> None:
    names = list(policies)
    for i, p in enumerate(names):
        scores, colour = policies[p], policy_looks[p].colour
        ax.plot([scores.naive_mean], [i], marker="o", ms=8, fillstyle="none", color=colour, ls="none")
        if scores.calibrated_mean is not None:
            ax.plot([scores.naive_mean, scores.calibrated_mean], [i, i], color="grey", lw=1)
            ax.plot([scores.calibrated_mean], [i], marker="o", ms=8, color=colour, ls="none")
        if scores.probe_mean is not None:
            low, high = scores.probe_low, scores.probe_high
            ax.errorbar([scores.probe_mean], [i + 0.18],
                        xerr=[[scores.probe_mean - (low if low is not None else scores.probe_mean)],
                              [(high if high is not None else scores.probe_mean) - scores.probe_mean]],
                        fmt="D", ms=6, color="black", capsize=3,
                        label=f"oracle mean of the policy's own labelled draws, {ci_level:.0%} CI")
            ax.annotate(f"n={scores.n_probe}", (scores.probe_mean, i + 0.18), xytext=(6, 4),
                        textcoords="offset points", fontsize=7)
    ax.set_yticks(range(len(names)), names)
    for label in ax.get_yticklabels():
        label.set_color(policy_looks[label.get_text()].colour)
    ax.set_ylim(len(names) - 0.5, -0.5)
    ax.set_xlim(0, 1)
    ax.set_xlabel("mean score of the policy's fresh responses (0-1)")
    ax.set_title("Mean scores of each policy's fresh responses", fontsize=10)
    ax.plot([], [], marker="o", ms=8, fillstyle="none", color="black", ls="none",
            label="raw judge mean (no calibration)")
    if any(scores.calibrated_mean is not None for scores in policies.values()):
        ax.plot([], [], marker="o", ms=8, color="black", ls="none", label="calibrated mean")
    handles, labels = ax.get_legend_handles_labels()
    unique = dict(zip(labels, handles))
    ax.legend(unique.values(), unique.keys(), fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.13), ncol=1)
