"""The coverage sweep figure: each policy's estimate with its interval
against the oracle coverage, one panel per policy, one series per estimator."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from cje.analysis.run import Failure
from cje.plots.style import STATUS_LOOKS, STATUS_WORDS, Caption, Look, estimator_look, top_margin
from cje.report.words import n_labels

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from cje.coverage_sweep import Sweep


class SweepPoint(NamedTuple):
    policy: str
    estimator: str
    coverage: float
    n_labels: int
    value: float
    low: float
    high: float
    status: str


def sweep_points(sweep: Sweep) -> list[SweepPoint]:
    points = []
    for run in sweep.runs:
        result = run.analysis
        level = result.settings.ci_level
        for (estimator, policy), outcome in result.results.items():
            if isinstance(outcome, Failure):
                continue
            low, high = outcome.ci(level)
            points.append(SweepPoint(policy, estimator, result.settings.oracle_coverage, n_labels(result),
                                     outcome.value, low, high, str(result.statuses[(estimator, policy)].level)))
    return points


def plot_coverage_sweep(
    points: Sequence[SweepPoint],
    *,
    policies: Sequence[str],
    estimators: Sequence[str],
    policy_looks: Mapping[str, Look],
    caption: Caption,
    ci_level: float,
    truth: Mapping[str, float] | None = None,
) -> Figure:
    """One panel per policy (in data order); x: oracle coverage with the
    labels it kept, y: the estimate and its interval, estimators told apart
    by marker and colour, statuses by fill, the true value as a line."""
    import matplotlib.pyplot as plt

    coverages = sorted({p.coverage for p in points})
    labels = {p.coverage: p.n_labels for p in points}
    columns = min(len(policies), 2)
    rows = int(np.ceil(len(policies) / columns))
    fig, axes = plt.subplots(rows, columns, figsize=(6.2 * columns + 2.4, 3.6 * rows + 1.2), squeeze=False,
                             sharex=True)
    positive = all(c > 0 for c in coverages)
    offsets = np.linspace(-0.06, 0.06, max(len(estimators), 1)) if len(estimators) > 1 else np.zeros(1)
    for index, policy in enumerate(policies):
        ax = axes[index // columns, index % columns]
        for k, estimator in enumerate(estimators):
            look = estimator_look(estimator)
            series = sorted((p for p in points if p.policy == policy and p.estimator == estimator),
                            key=lambda p: p.coverage)
            if not series:
                continue
            x = np.array([p.coverage for p in series])
            x = x * np.exp(offsets[k]) if positive else x + offsets[k] / 10
            ax.plot(x, [p.value for p in series], color=look.colour, lw=1, alpha=0.6)
            for xi, p in zip(x, series):
                status = STATUS_LOOKS[p.status]
                ax.plot([xi, xi], [p.low, p.high], color=look.colour, lw=1.6, ls=status.line, alpha=status.alpha)
                ax.plot([xi], [p.value], marker=look.marker, ms=7, color=look.colour, fillstyle=status.fill,
                        markerfacecoloralt="white", ls="none", alpha=max(status.alpha, 0.7))
        if truth and policy in truth:
            ax.axhline(truth[policy], color="black", lw=1.5, label="true value")
        ax.set_title(policy, color=policy_looks[policy].colour, fontweight="bold", fontsize=10)
        ax.set_ylabel(f"estimate, {ci_level:.0%} CI")
        ax.grid(alpha=0.3)
        if positive:
            ax.set_xscale("log")
        ax.set_xticks(coverages, [f"{c:g}\n({labels[c]} labels)" for c in coverages], fontsize=8)
        ax.minorticks_off()
    for index in range(len(policies), rows * columns):
        axes[index // columns, index % columns].set_visible(False)
    for ax in axes[-1]:
        ax.set_xlabel("oracle coverage (labels kept)")
    _legend(fig, estimators, truth is not None)
    title = f"Estimates against oracle coverage\n{caption.line()}"
    fig.suptitle(title, fontsize=11)
    height = fig.get_figheight()
    fig.subplots_adjust(left=0.07, right=0.8, top=top_margin(title, height), bottom=0.8 / height, hspace=0.3,
                        wspace=0.22)
    return fig


def _legend(fig: Figure, estimators: Sequence[str], with_truth: bool) -> None:
    from matplotlib.lines import Line2D

    handles = [Line2D([], [], marker=estimator_look(e).marker, color=estimator_look(e).colour, label=e)
               for e in estimators]
    handles += [Line2D([], [], marker="o", color="black", fillstyle=STATUS_LOOKS[s].fill, ls=STATUS_LOOKS[s].line,
                       markerfacecoloralt="white", label=words) for s, words in STATUS_WORDS.items()]
    if with_truth:
        handles.append(Line2D([], [], color="black", lw=1.5, label="true value"))
    fig.legend(handles=handles, fontsize=8, loc="center left", bbox_to_anchor=(0.81, 0.5))
