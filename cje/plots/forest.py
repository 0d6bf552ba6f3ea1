"""Forest plot of policy estimates with their intervals."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import TYPE_CHECKING, NamedTuple

from cje.plots.style import STATUS_LOOKS, STATUS_WORDS, Caption, Look, estimator_look, top_margin

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure


class ForestRow(NamedTuple):
    policy: str
    estimator: str
    value: float
    low: float
    high: float
    status: str


ZOOM_BELOW = 0.35
"""Zoom when the leading policies' intervals span less than this much of the 0-1 scale."""
CONTENDER_WITHIN = 0.15
"""Policies whose ranking estimate is this close to the highest are the ones a zoom shows."""


def zoom_range(rows: Sequence[ForestRow], truth: Mapping[str, float] | None, *, ranking: str,
               ignore: Collection[str] = ()) -> tuple[float, float] | None:
    """The span of the leading policies' estimates, padded: the intervals of
    those with status ok, the points of those with warn, the true values.
    None unless two or more policies lead and sit close together. Leaders are
    the policies whose ``ranking`` estimate is within ``CONTENDER_WITHIN`` of
    the highest; estimators in ``ignore`` (biased baselines) do not widen the
    zoom."""
    ranked = {r.policy: r.value for r in rows if r.estimator == ranking and r.status != "refuse"}
    if len(ranked) < 2:
        return None
    top = max(ranked.values())
    leaders = {p for p, v in ranked.items() if v >= top - CONTENDER_WITHIN}
    if len(leaders) < 2:
        return None
    kept = [r for r in rows if r.policy in leaders and r.estimator not in ignore]
    ends = [v for r in kept if r.status == "ok" for v in (r.low, r.high)]
    ends += [r.value for r in kept if r.status == "warn"]
    ends += [t for p, t in (truth or {}).items() if p in leaders]
    low, high = min(ends), max(ends)
    if high - low >= ZOOM_BELOW:
        return None
    pad = max(0.08 * (high - low), 0.005)
    return max(low - pad, 0.0), min(high + pad, 1.0)


def plot_policy_estimates(
    rows: Sequence[ForestRow],
    *,
    ci_level: float,
    policy_looks: Mapping[str, Look],
    caption: Caption,
    truth: Mapping[str, float] | None = None,
    zoom: tuple[float, float] | None = None,
) -> Figure:
    """Each policy on its own line, one marker per estimator (shape and
    colour) with its interval; the status is the marker's fill. With
    ``zoom``, a second panel shows the same rows on that range."""
    import matplotlib.pyplot as plt

    policies = list(dict.fromkeys(r.policy for r in rows))
    estimators = list(dict.fromkeys(r.estimator for r in rows))
    height = 0.55 + 0.22 * len(estimators)
    n_panels = 2 if zoom else 1
    fig, axes = plt.subplots(1, n_panels, figsize=(7.5 * n_panels + 2.6, 1.5 + height * len(policies)),
                             squeeze=False, sharey=True)
    for ax, limits in zip(axes[0], [(0.0, 1.0), zoom]):
        assert limits is not None
        _draw_rows(ax, rows, policies=policies, estimators=estimators, truth=truth, policy_looks=policy_looks)
        ax.set_xlim(*limits)
        ax.set_xlabel(f"estimated mean oracle score, {ci_level:.0%} confidence intervals")
        ax.grid(axis="x", alpha=0.3)
    axes[0, 0].set_title("on the full 0-1 scale", fontsize=10)
    if zoom:
        axes[0, 1].set_title(f"zoomed to the leading policies ({zoom[0]:.2f}-{zoom[1]:.2f})", fontsize=10)
    axes[0, 0].set_yticks(range(len(policies)), policies)
    for label in axes[0, 0].get_yticklabels():
        label.set_color(policy_looks[label.get_text()].colour)
        label.set_fontweight("bold")
    axes[0, 0].invert_yaxis()
    _legend(axes[0, -1], estimators, truth is not None)
    title = f"Estimated oracle score of each policy\n{caption.line()}"
    fig.suptitle(title, fontsize=11)
    height_in = fig.get_figheight()
    fig.subplots_adjust(left=0.17 if n_panels == 1 else 0.09, right=0.78 if n_panels == 1 else 0.86,
                        top=top_margin(title, height_in), bottom=0.65 / height_in, wspace=0.05)
    return fig


def _draw_rows(ax: Axes, rows: Sequence[ForestRow], *, policies: list[str], estimators: list[str],
               truth: Mapping[str, float] | None, policy_looks: Mapping[str, Look]) -> None:
    step = 0.7 / max(len(estimators), 1)
    for i, policy in enumerate(policies):
        ax.axhspan(i - 0.45, i + 0.45, color=policy_looks[policy].colour, alpha=0.06, lw=0)
    for r in rows:
        y = policies.index(r.policy) - 0.35 + step * (estimators.index(r.estimator) + 0.5)
        look, status = estimator_look(r.estimator), STATUS_LOOKS[r.status]
        ax.plot([r.low, r.high], [y, y], color=look.colour, lw=2, ls=status.line, alpha=status.alpha)
        ax.plot([r.value], [y], marker=look.marker, ms=8, color=look.colour, fillstyle=status.fill,
                markerfacecoloralt="white", markeredgecolor=look.colour, alpha=max(status.alpha, 0.7), zorder=3,
                ls="none")
    for i, policy in enumerate(policies):
        if truth and policy in truth:
            ax.plot([truth[policy]] * 2, [i - 0.45, i + 0.45], color="black", lw=2.5)


def _legend(ax: Axes, estimators: list[str], with_truth: bool) -> None:
    for name in estimators:
        look = estimator_look(name)
        ax.plot([], [], marker=look.marker, color=look.colour, ls="-", label=name)
    for status, words in STATUS_WORDS.items():
        drawn = STATUS_LOOKS[status]
        ax.plot([], [], marker="o", color="black", fillstyle=drawn.fill, markerfacecoloralt="white", ls=drawn.line,
                alpha=max(drawn.alpha, 0.7), label=words)
    if with_truth:
        ax.plot([], [], color="black", lw=2.5, label="true value")
    ax.legend(fontsize=8, loc="center left", bbox_to_anchor=(1.02, 0.5))
