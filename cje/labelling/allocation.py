"""Where the next oracle labels on logged responses help most.

The calibrated map is, in effect, a mean label per judge-score region, and a
policy's estimate averages that map over the regions its responses fall in.
With ``m_b`` labels in region ``b``, residual spread ``s_b`` there and a
share ``pi_p(b)`` of policy ``p``'s responses, the calibration part of the
estimate's variance is about ``sum_b pi_p(b)**2 s_b**2 / m_b``. Summed over
the policies, a label in region ``b`` buys down
``w_b (1 / m_b - 1 / (m_b + 1))`` with ``w_b = s_b**2 sum_p pi_p(b)**2``;
labelling greedily by that gain puts labels in proportion to ``sqrt(w_b)``
(Neyman allocation): where the fit is thin and the target policies' responses
are dense, not where the logger happens to write most. Random labels follow
the logger's own density instead.
"""

from __future__ import annotations

import heapq
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

MAX_REGIONS = 10
SHRINK_LABELS = 30.0
"""Prior weight (in labels) of the pooled residual spread in each region's:
heavy, because an allocation that chases the noise of a few residuals does
worse than one that follows the policies' densities alone."""
SMOOTHING = 0.5
"""Added to each region's label count: an empty region is not infinitely bad."""


def score_regions(score: np.ndarray, edges: np.ndarray) -> np.ndarray:
    return np.searchsorted(edges, score, side="right")


def region_edges(scores: np.ndarray, max_regions: int = MAX_REGIONS) -> np.ndarray:
    """Inner edges of at most ``max_regions`` judge-score regions with about
    equal shares of ``scores`` (whole score levels, never split)."""
    levels = np.unique(scores)
    if levels.size <= max_regions:
        return (levels[1:] + levels[:-1]) / 2
    cuts = np.unique(np.quantile(scores, np.linspace(0, 1, max_regions + 1)[1:-1]))
    return cuts


@dataclass(frozen=True)
class RegionWeights:
    """Each region's weight ``w_b``, current labels and unlabelled candidates."""

    edges: np.ndarray = field(repr=False)
    weight: np.ndarray
    labels: np.ndarray
    available: np.ndarray

    def variance(self, labels: np.ndarray) -> float:
        """The summed calibration variance (arbitrary units) with ``labels`` per region."""
        return float(np.sum(self.weight / (labels + SMOOTHING)))


def region_weights(*, logged_score: np.ndarray, labelled: np.ndarray, residual: np.ndarray,
                   candidate: np.ndarray, policy_scores: Mapping[str, np.ndarray],
                   edges: np.ndarray) -> RegionWeights:
    """``residual``: out-of-fold residuals of the labelled logged rows (aligned
    with ``logged_score[labelled]``); ``candidate``: the logged rows that may
    be labelled; ``policy_scores``: each policy's response scores."""
    n_regions = edges.size + 1
    logged_region = score_regions(logged_score, edges)
    labelled_region = logged_region[labelled]
    counts = np.bincount(labelled_region, minlength=n_regions).astype(float)
    pooled = float(np.mean(residual**2)) if residual.size else 1.0
    sums = np.bincount(labelled_region, weights=residual**2, minlength=n_regions)
    spread = (sums + SHRINK_LABELS * pooled) / (counts + SHRINK_LABELS)
    density = np.zeros(n_regions)
    for scores in policy_scores.values():
        if scores.size:
            share = np.bincount(score_regions(scores, edges), minlength=n_regions) / scores.size
            density += share**2
    available = np.bincount(logged_region[candidate], minlength=n_regions)
    return RegionWeights(edges, spread * density, counts, available)


def greedy_allocation(weights: RegionWeights, k: int) -> np.ndarray:
    """Labels to add per region: each next label where it cuts the summed
    variance most, within the unlabelled rows each region has."""
    added = np.zeros(weights.weight.size, dtype=int)

    def gain(b: int) -> float:
        m = weights.labels[b] + added[b] + SMOOTHING
        return float(weights.weight[b] * (1 / m - 1 / (m + 1)))

    heap = [(-gain(b), b) for b in range(added.size) if weights.available[b] > 0]
    heapq.heapify(heap)
    for _ in range(k):
        if not heap:
            break
        _, b = heapq.heappop(heap)
        added[b] += 1
        if added[b] < weights.available[b]:
            heapq.heappush(heap, (-gain(b), b))
    return added


def random_allocation(weights: RegionWeights, k: int) -> np.ndarray:
    """The expected labels per region of ``k`` labels drawn at random among
    the unlabelled logged rows (for comparison)."""
    total = weights.available.sum()
    return np.zeros(weights.weight.size) if total == 0 else k * weights.available / total
