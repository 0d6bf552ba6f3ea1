"""One look for every figure: each policy keeps its colour and place, each
estimator its marker and colour, each status its fill, in every figure of a
run and across the runs of a sweep.

Policies are coloured by their position in the dataset (so a policy left out
with ``--policies`` does not shift the others); estimators by their position
in the estimator registry.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from cje.analysis.registry import estimator_names

# Okabe-Ito: distinguishable with the common colour-vision deficiencies.
POLICY_PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#F0E442")
ESTIMATOR_PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
                     "#bcbd22", "#17becf")
ESTIMATOR_MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*", "h", "<", ">", "p")


@dataclass(frozen=True)
class Look:
    colour: str
    marker: str = "o"


def policy_looks(all_policies: Sequence[str]) -> dict[str, Look]:
    """A colour per policy, by its place among the dataset's policies."""
    return {p: Look(POLICY_PALETTE[i % len(POLICY_PALETTE)]) for i, p in enumerate(all_policies)}


def estimator_look(name: str) -> Look:
    """Marker and colour of an estimator, by its place in the registry."""
    names = estimator_names()
    i = names.index(name) if name in names else len(names)
    return Look(ESTIMATOR_PALETTE[i % len(ESTIMATOR_PALETTE)], ESTIMATOR_MARKERS[i % len(ESTIMATOR_MARKERS)])


@dataclass(frozen=True)
class StatusLook:
    """How a status is drawn: marker fill, interval line style and opacity."""

    fill: Literal["full", "left", "none"]
    line: str
    alpha: float


STATUS_LOOKS = {
    "ok": StatusLook("full", "-", 1.0),
    "warn": StatusLook("left", "-", 1.0),
    "refuse": StatusLook("none", "--", 0.45),
}
STATUS_WORDS = {"ok": "filled: ok", "warn": "half-filled: warn", "refuse": "hollow, dashed: refuse"}


@dataclass(frozen=True)
class Caption:
    """What tells one figure's run from another's."""

    data: str
    estimators: tuple[str, ...]
    coverage: str
    seed: int

    def line(self, width: int = 110) -> str:
        """The caption, wrapped between its parts to lines of about ``width`` characters."""
        parts = [f"data {self.data}", f"oracle coverage {self.coverage}", f"seed {self.seed}",
                 f"estimators {', '.join(self.estimators)}"]
        lines = [parts[0]]
        for part in parts[1:]:
            if len(lines[-1]) + len(part) + 3 > width:
                lines.append(part)
            else:
                lines[-1] += " · " + part
        return "\n".join(lines)


def top_margin(title: str, height: float, *, axes_titles: bool = True) -> float:
    """``top`` for ``subplots_adjust`` that leaves room for a suptitle of
    this many lines (and the axes' own titles) on a figure ``height`` inches tall."""
    lines = title.count("\n") + 1
    return 1 - (0.25 + 0.21 * lines + (0.3 if axes_titles else 0.0)) / height
