"""Forest plot of policy estimates with their intervals."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from matplotlib.figure import Figure



class ForestRow(NamedTuple):
    policy: str
    estimator: str
    value: float
    low: float
    high: float
    status: str


def plot_policy_estimates(
    rows: Sequence[ForestRow],
    *,
    ci_level: float,
    truth: Mapping[str, float] | None = None,
    title: str = "Estimated oracle score of each policy",
) -> Figure:
    """Each policy on its own line, one marker per estimator with its interval.
    Refused estimates are hollow with dashed intervals; known true values
    are black bars."""
    import matplotlib.pyplot as plt

    policies = list(dict.fromkeys(r.policy for r in rows))
    estimators = list(dict.fromkeys(r.estimator for r in rows))
    colours = plt.get_cmap("tab10")
    height = 0.5 + 0.2 * len(estimators)
    fig, ax = plt.subplots(figsize=(10, 1.0 + height * len(policies)))
    step = 0.7 / max(len(estimators), 1)
    for r in rows:
        y = policies.index(r.policy) - 0.35 + step * (estimators.index(r.estimator) + 0.5)
        colour = colours(estimators.index(r.estimator) % 10)
        refused = r.status == "refuse"
        ax.plot([r.low, r.high], [y, y], color=colour, lw=2, alpha=0.35 if refused else 1.0,
                ls="--" if refused else "-")
        ax.scatter([r.value], [y], s=50, zorder=3, facecolors="white" if refused else colour,
                   edgecolors=colour, marker={"ok": "o", "warn": "s"}.get(r.status, "X"))
    for e, name in enumerate(estimators):
        ax.scatter([], [], color=colours(e % 10), label=name)
    ax.scatter([], [], marker="s", facecolors="none", edgecolors="black", label="square: warning")
    ax.scatter([], [], marker="X", facecolors="white", edgecolors="black",
               label="hollow X, dashed: refused")
    if truth:
        for i, policy in enumerate(policies):
            if policy in truth:
                ax.plot([truth[policy]] * 2, [i - 0.42, i + 0.42], color="black", lw=2.5)
        ax.plot([], [], color="black", lw=2.5, label="true value")
    ax.set_yticks(range(len(policies)), policies)
    ax.invert_yaxis()
    ax.set_xlabel(f"estimated mean oracle score (0-1), with {ci_level:.0%} confidence intervals")
    ax.set_title(title, fontsize=11)
    ax.grid(axis="x", alpha=0.3)
    ax.legend(fontsize=8, loc="center left", bbox_to_anchor=(1.01, 0.5))
    fig.subplots_adjust(left=0.24, right=0.76, top=1 - 0.45 / fig.get_figheight(),
                        bottom=0.6 / fig.get_figheight())
    return fig
