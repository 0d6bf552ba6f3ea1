"""Figures of the coverage experiment. They draw summaries computed elsewhere.

Figures are built on ``matplotlib.figure.Figure`` directly (no pyplot state,
no backend switch), so they are safe to draw from any process.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

MARKERS = "osD^v<>ph*"


def _log_coverage_axis(ax, coverages: Sequence[float], *, label: bool = True) -> None:
    ax.set_xscale("log")
    ax.set_xticks(list(coverages))
    ax.set_xticklabels([f"{c:.0%}" for c in coverages])
    ax.minorticks_off()
    if label:
        ax.set_xlabel("oracle coverage\n(share of available labels kept)")


def _title(figure, text: str, width_inches: float) -> None:
    # Wrap to the figure's width: a long title must not run off the canvas.
    figure.suptitle(textwrap.fill(text, width=int(width_inches * 11)), fontsize=11)


def plot_ci_coverage(regimes: pd.DataFrame, variants: Sequence[str], path: Path, *,
                     title: str, level: float = 0.95, tolerance: float = 0.03) -> Path:
    """One panel per estimator: CI coverage against oracle coverage, a line
    per sample size, the target band shaded."""
    from matplotlib import colormaps
    from matplotlib.figure import Figure

    shown = [v for v in variants if v in set(regimes["variant"])]
    columns = min(5, len(shown))
    rows = -(-len(shown) // columns)
    width = 3.2 * columns
    figure = Figure(figsize=(width, 3.0 * rows + 1.2), layout="constrained")
    axes = figure.subplots(rows, columns, sharex=True, sharey=True, squeeze=False).ravel()
    sizes = sorted(regimes["n_prompts"].unique())
    colours = colormaps["viridis"].resampled(max(len(sizes), 2))
    coverages = sorted(regimes["coverage"].unique())
    for index, (ax, variant) in enumerate(zip(axes, shown)):
        ax.axhspan(level - tolerance, level + tolerance, color="tab:green", alpha=0.15, lw=0)
        ax.axhline(level, color="tab:green", ls="--", lw=1)
        for k, n in enumerate(sizes):
            part = regimes[(regimes["variant"] == variant) & (regimes["n_prompts"] == n)].sort_values("coverage")
            ax.plot(part["coverage"], part["ci_coverage"], marker="o", ms=3, color=colours(k), label=f"n={n:,}")
        ax.set_title(variant, fontsize=10)
        _log_coverage_axis(ax, coverages, label=index + columns >= len(shown))
        ax.set_ylim(-0.02, 1.02)
    for ax in axes[len(shown):]:
        ax.set_visible(False)
    for ax in axes[::columns]:
        ax.set_ylabel(f"share of {level:.0%} CIs\ncontaining the truth")
    axes[0].legend(title="prompts", fontsize=7, title_fontsize=7, loc="center left")
    _title(figure, f"{title}. Green band: the target, {level:.0%} ± {tolerance:.0%}. One line per sample "
                   "size; a missing point means no estimate (too few labels).", width)
    return _save(figure, path)


def plot_metric_by_size(regimes: pd.DataFrame, variants: Sequence[str], path: Path, *, metric: str,
                        ylabel: str, title: str, log_y: bool = False,
                        target: float | None = None) -> Path:
    """One panel per sample size: ``metric`` against oracle coverage, a line
    per estimator (used for RMSE and for ranking accuracy)."""
    from matplotlib import colormaps
    from matplotlib.figure import Figure

    sizes = sorted(regimes["n_prompts"].unique())
    coverages = sorted(regimes["coverage"].unique())
    width = 3.4 * len(sizes) + 2.2
    figure = Figure(figsize=(width, 4.0), layout="constrained")
    axes = figure.subplots(1, len(sizes), sharey=True, squeeze=False).ravel()
    colours = colormaps["tab10"]
    for ax, n in zip(axes, sizes):
        panel = regimes[regimes["n_prompts"] == n]
        for k, variant in enumerate(variants):
            part = panel[panel["variant"] == variant].sort_values("coverage")
            if part.empty:
                continue
            ax.plot(part["coverage"], part[metric], marker=MARKERS[k % len(MARKERS)], ms=4,
                    color=colours(k % 10), label=variant)
        if target is not None:
            ax.axhline(target, color="black", ls="--", lw=1)
        ax.set_title(f"n = {n:,} prompts", fontsize=10)
        if not panel[metric].notna().any():
            ax.text(0.5, 0.5, "no values\n(no truth, or no estimates)", ha="center", transform=ax.transAxes)
            continue
        _log_coverage_axis(ax, coverages)
        # A log axis needs a positive value (a debiased RMSE can be exactly 0).
        if log_y and (panel[metric] > 0).any():
            ax.set_yscale("log")
        ax.grid(alpha=0.3)
    axes[0].set_ylabel(ylabel)
    handles, labels = axes[0].get_legend_handles_labels()
    figure.legend(handles, labels, loc="outside right center", fontsize=8, title="estimator")
    _title(figure, f"{title}. Estimators whose lines coincide give (nearly) the same numbers; a missing "
                   "point means no estimate (too few labels).", width)
    return _save(figure, path)


def _save(figure, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=110)
    return path
