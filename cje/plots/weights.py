"""The weight dashboard: how far each target policy is from the logger, with
the thresholds the gates apply drawn where they bite."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from cje.diagnostics.gates import (
    REFUSE_NEAR_ZERO_SHARE,
    REFUSE_RAW_ESS,
    WARN_CALIBRATED_ESS,
    WARN_RAW_ESS,
    WARN_TOP1_SHARE,
)
from cje.diagnostics.weights import NEAR_ZERO, WeightDiagnostics
from cje.plots.style import Caption, Look, top_margin
from cje.report.words import short_tail_words

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

FLOOR = 1e-12
"""Weights below this are drawn at it (the log axis has no zero)."""


class PolicyWeights(NamedTuple):
    raw: np.ndarray
    calibrated: np.ndarray
    diagnostics: WeightDiagnostics
    raw_curve: tuple[np.ndarray, np.ndarray]
    calibrated_curve: tuple[np.ndarray, np.ndarray]


def plot_weight_dashboard(weights: Mapping[str, PolicyWeights], *, policy_looks: Mapping[str, Look],
                          caption: Caption) -> Figure:
    """One row per policy, every row on the same axes: the distribution of
    the weights (raw and calibrated) and how concentrated the total weight
    is, with the gates' thresholds marked. Returns the figure."""
    import matplotlib.pyplot as plt

    policies = list(weights)
    title = f"Importance weights of each target policy\n{caption.line()}"
    fig, axes = plt.subplots(len(policies), 2, figsize=(13, 3.1 * len(policies) + 1.4), squeeze=False,
                             sharex="col")
    low = max(min(float(np.min(w.raw)) for w in weights.values()), FLOOR)
    high = max(max(float(np.max(w.raw)) for w in weights.values()), 10.0)
    bins = np.geomspace(min(low, 1e-3), high * 1.05, 60)
    smallest_share = 1.0 / max(min(w.diagnostics.n for w in weights.values()), 1)
    for row, policy in enumerate(policies):
        colour = policy_looks[policy].colour
        _histogram(axes[row, 0], policy, weights[policy], bins, colour)
        _concentration(axes[row, 1], policy, weights[policy], colour, legend=row == 0)
    axes[0, 1].set_xlim(max(smallest_share, 1e-4), 1.0)
    axes[-1, 0].set_xlabel("weight p_target / p_logger, scaled to mean 1 (log scale; 1 = as likely as the logger; "
                           f"below {FLOOR:g} drawn at {FLOOR:g})")
    axes[-1, 1].set_xlabel("share of rows, heaviest first (log scale)")
    fig.suptitle(title, fontsize=11)
    height = fig.get_figheight()
    # Fixed margins: tight_layout costs more than drawing the figure.
    fig.subplots_adjust(left=0.06, right=0.98, top=top_margin(title, height), bottom=0.55 / height, hspace=0.62,
                        wspace=0.18)
    return fig


def _histogram(ax: Axes, policy: str, data: PolicyWeights, bins: np.ndarray, colour: str) -> None:
    ax.hist(np.maximum(data.raw, FLOOR), bins=bins.tolist(), color=colour, alpha=0.35, label="raw weights")
    ax.hist(np.maximum(data.calibrated, FLOOR), bins=bins.tolist(), color=colour, histtype="step", lw=1.8,
            label="calibrated weights")
    _plain_log_axis(ax)
    ax.axvline(1.0, color="black", lw=1, ls=":")
    d = data.diagnostics
    ax.axvline(NEAR_ZERO, color="firebrick", lw=1.2, ls="--",
               label=f"near zero (< {NEAR_ZERO:g}): {d.near_zero_share:.0%} of rows (refused at "
                     f"{REFUSE_NEAR_ZERO_SHARE:.0%})")
    ax.set_title(f"{policy}: effective sample size {d.ess_raw:.1%} raw (warn < {WARN_RAW_ESS:.0%}, refuse < "
                 f"{REFUSE_RAW_ESS:.0%}),\n{d.ess_calibrated:.1%} calibrated (warn < {WARN_CALIBRATED_ESS:.0%})",
                 fontsize=9, color=colour, loc="left")
    ax.set_ylabel("logged rows")
    ax.legend(fontsize=7, loc="upper left")


def _concentration(ax: Axes, policy: str, data: PolicyWeights, colour: str, *, legend: bool) -> None:
    d = data.diagnostics
    ax.plot(*data.raw_curve, color=colour, lw=2, label="raw")
    ax.plot(*data.calibrated_curve, color=colour, lw=1.2, ls="--", label="calibrated")
    grid = data.raw_curve[0]
    ax.plot(grid, grid, color="grey", ls=":", label="equal weights (perfect overlap)")
    ax.plot([0.01, 0.01], [WARN_TOP1_SHARE, 1.0], color="firebrick", lw=3, alpha=0.5,
            label=f"warn where the curve crosses: top 1% of rows hold over {WARN_TOP1_SHARE:.0%}")
    _plain_log_axis(ax)
    ax.set_ylim(0, 1.02)
    ax.set_ylabel("share of total weight")
    ax.set_title(f"{policy}: top 1% of rows hold {d.top1_share:.0%} (warn over {WARN_TOP1_SHARE:.0%}),\n"
                 f"largest weight {d.max_weight:.3g}, {short_tail_words(d.hill_index)}", fontsize=9, color=colour,
                 loc="left")
    if legend:
        ax.legend(fontsize=7, loc="upper left")


def _plain_log_axis(ax: Axes) -> None:
    """A log x-axis labelled 0.001, 0.01, 1, 100 (plain numbers read faster
    than powers of ten, and skip the costly mathtext), without minor ticks."""
    from matplotlib.ticker import FuncFormatter

    ax.set_xscale("log")
    ax.minorticks_off()
    ax.xaxis.set_major_formatter(FuncFormatter(lambda value, _position: f"{value:g}"))
