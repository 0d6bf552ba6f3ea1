"""Which oracle labels an analysis keeps (``--oracle-coverage``)."""

from __future__ import annotations

import numpy as np


def select_oracle_slice(
    prompt_id: np.ndarray, available: np.ndarray, fraction: float, *, seed: int
) -> np.ndarray:
    """Keep a seeded random ``fraction`` of the available labels.

    The choice depends only on the set of labelled prompt ids, the fraction and
    the seed, never on row order: ids are sorted before the seeded permutation.
    With one seed, a smaller fraction keeps a subset of what a larger one keeps,
    so coverage curves compare like with like. Returns a boolean mask aligned
    with ``prompt_id``.
    """
    if not 0.0 <= fraction <= 1.0:
        raise ValueError(f"oracle coverage must be in [0, 1], got {fraction}")
    available = np.asarray(available, dtype=bool)
    candidates = np.flatnonzero(available)
    order = candidates[np.argsort(prompt_id[candidates].astype(str), kind="stable")]
    n_keep = int(round(fraction * order.size))
    permuted = order[np.random.default_rng(seed).permutation(order.size)]
    keep = np.zeros(available.shape, dtype=bool)
    keep[permuted[:n_keep]] = True
    return keep
