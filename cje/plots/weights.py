"""The weight dashboard: how far each target policy is from the logger."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from cje.diagnostics.weights import WeightDiagnostics

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure



class PolicyWeights(NamedTuple):
    raw: np.ndarray
    calibrated: np.ndarray
    diagnostics: WeightDiagnostics
    raw_curve: tuple[np.ndarray, np.ndarray]
    calibrated_curve: tuple[np.ndarray, np.ndarray]


def plot_weight_dashboard(weights: Mapping[str, PolicyWeights]) -> Figure:
    """One row per policy: the distribution of log10 weights (raw and
    calibrated), and how concentrated the total weight is. Returns the figure."""
    import matplotlib.pyplot as plt

    policies = list(weights)
    fig, axes = plt.subplots(len(policies), 2, figsize=(12, 3.0 * len(policies) + 0.8), squeeze=False)
    for row, policy in enumerate(policies):
        _histogram(axes[row, 0], policy, weights[policy])
        _concentration(axes[row, 1], policy, weights[policy])
    fig.suptitle(
        "Importance weights p_target / p_base (mean 1). Weight 1 = the target is as likely as the "
        "logger to give that response.\nLeft: spread of the weights; right: share of the total "
        "weight carried by the heaviest rows (dotted: perfect overlap).",
        fontsize=10,
    )
    height = fig.get_figheight()
    # Fixed margins: tight_layout costs more than drawing the figure.
    fig.subplots_adjust(left=0.07, right=0.98, top=1 - 0.95 / height, bottom=0.5 / height,
                        hspace=0.5, wspace=0.2)
    return fig


def _histogram(ax: Axes, policy: str, data: PolicyWeights) -> None:
    floor = 1e-12
    raw = np.log10(np.maximum(data.raw, floor))
    cal = np.log10(np.maximum(data.calibrated, floor))
    low = min(raw.min(), cal.min(), -1.0)
    high = max(raw.max(), cal.max(), 1.0)
    bins = np.linspace(low, high, 50)
    ax.hist(raw, bins=bins.tolist(), alpha=0.55, color="tab:red", label="raw weights")
    ax.hist(cal, bins=bins.tolist(), alpha=0.55, color="tab:blue", label="calibrated weights")
    ax.axvline(0.0, color="black", lw=1, ls="--")
    d = data.diagnostics
    ax.set_title(f"{policy}: ESS raw {d.ess_raw:.1%}, calibrated {d.ess_calibrated:.1%}", fontsize=10)
    ax.set_xlabel("log10(weight)   (0 = weight 1; below 1e-12 drawn at -12)")
    ax.set_ylabel("logged rows")
    ax.legend(fontsize=8, loc="upper left")


def _concentration(ax: Axes, policy: str, data: PolicyWeights) -> None:
    d = data.diagnostics
    ax.plot(*data.raw_curve, color="tab:red", label="raw")
    ax.plot(*data.calibrated_curve, color="tab:blue", label="calibrated")
    grid = data.raw_curve[0]
    ax.plot(grid, grid, color="grey", ls=":", label="uniform weights (perfect overlap)")
    ax.set_xscale("log")
    ax.set_xlim(max(1.0 / max(d.n, 1), 1e-4), 1.0)
    ax.set_ylim(0, 1.02)
    ax.set_xlabel("share of rows, heaviest first (log scale)")
    ax.set_ylabel("share of total weight")
    hill = "none" if not np.isfinite(d.hill_index) else f"{d.hill_index:.2f}"
    ax.set_title(
        f"{policy}: top 1% of rows hold {d.top1_share:.0%}; max weight {d.max_weight:.1f}; "
        f"tail index {hill}",
        fontsize=10,
    )
    ax.legend(fontsize=8, loc="upper left")
