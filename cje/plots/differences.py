"""Forest plot of paired policy differences with their intervals."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from cje.report.comparisons import DifferenceRow

if TYPE_CHECKING:
    from matplotlib.figure import Figure


def plot_policy_differences(
    rows: Sequence[DifferenceRow],
    *,
    ci_level: float,
    adjustment: str,
    title: str = "Paired differences between policies",
) -> Figure:
    """One line per pair, one marker per estimator with its paired interval.
    Filled markers: different after the multiplicity adjustment; hollow: not
    separated; grey dashed: not tested (a refused estimate). Known true
    differences are black bars; the zero line is dotted."""
    import matplotlib.pyplot as plt

    pairs = list(dict.fromkeys(r.pair for r in rows))
    estimators = list(dict.fromkeys(r.estimator for r in rows))
    colours = plt.get_cmap("tab10")
    fig, ax = plt.subplots(figsize=(10, 1.0 + (0.4 + 0.15 * len(estimators)) * len(pairs)))
    step = 0.7 / max(len(estimators), 1)
    for r in rows:
        y = pairs.index(r.pair) - 0.35 + step * (estimators.index(r.estimator) + 0.5)
        colour = colours(estimators.index(r.estimator) % 10) if r.tested else "grey"
        ax.plot([r.low, r.high], [y, y], color=colour, lw=2, ls="-" if r.tested else "--")
        ax.scatter([r.value], [y], s=45, zorder=3, edgecolors=colour,
                   facecolors=colour if r.significant else "white")
    for i, pair in enumerate(pairs):
        known = [r.truth for r in rows if r.pair == pair and r.truth is not None]
        if known:
            ax.plot([known[0]] * 2, [i - 0.42, i + 0.42], color="black", lw=2.5)
    ax.axvline(0.0, color="black", lw=0.8, ls=":")
    for e, name in enumerate(estimators):
        ax.scatter([], [], color=colours(e % 10), label=name)
    ax.scatter([], [], facecolors="white", edgecolors="black", label="hollow: not separated")
    if any(r.truth is not None for r in rows):
        ax.plot([], [], color="black", lw=2.5, label="true difference")
    ax.set_yticks(range(len(pairs)), pairs)
    ax.invert_yaxis()
    ax.set_xlabel(f"difference in mean oracle score, {ci_level:.0%} paired intervals; "
                  f"separation judged on {adjustment}-adjusted p-values")
    ax.set_title(title, fontsize=11)
    ax.grid(axis="x", alpha=0.3)
    ax.legend(fontsize=8, loc="center left", bbox_to_anchor=(1.01, 0.5))
    fig.subplots_adjust(left=0.32, right=0.76, top=1 - 0.45 / fig.get_figheight(),
                        bottom=0.6 / fig.get_figheight())
    return fig


def save_difference_plot(rows: Sequence[DifferenceRow], directory: str | Path, *, ci_level: float,
                         adjustment: str) -> Path | None:
    """Write ``policy_differences.png`` to ``directory`` (None: nothing to draw)."""
    if not rows:
        return None
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    path = Path(directory) / "policy_differences.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    figure = plot_policy_differences(rows, ci_level=ci_level, adjustment=adjustment)
    try:
        figure.savefig(path, dpi=110, bbox_inches="tight")
    finally:
        plt.close(figure)
    return path
