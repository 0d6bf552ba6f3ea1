"""Lookups by key (a prompt id, or a prompt id with a draw index) on object
columns: duplicates, positions, first-appearance codes.

Python dicts do what a hash index would: for string keys they are as fast as
pandas' object index, and they spare every analysis the second pandas takes
to import.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence

import numpy as np


def duplicates(keys: Sequence[Hashable]) -> list[tuple[int, int]]:
    """``(position, first position)`` of every repeated key, in order; None
    keys are never duplicates."""
    if len(set(keys)) == len(keys):
        return []
    first: dict[Hashable, int] = {}
    repeated = []
    for position, key in enumerate(keys):
        if key is None:
            continue
        seen = first.setdefault(key, position)
        if seen != position:
            repeated.append((position, seen))
    return repeated


def positions(keys: Iterable[Hashable]) -> dict[Hashable, int]:
    """Each key's position (the first one, if a key repeats)."""
    found: dict[Hashable, int] = {}
    for position, key in enumerate(keys):
        found.setdefault(key, position)
    return found


def look_up(position: dict[Hashable, int], keys: Sequence[Hashable]) -> np.ndarray:
    """The position of each of ``keys`` in ``position``, -1 where absent."""
    return np.fromiter((position.get(key, -1) for key in keys), dtype=np.int64, count=len(keys))


def codes_by_first_appearance(keys: Sequence[Hashable]) -> np.ndarray:
    """0 for the first distinct key, 1 for the next new one, and so on."""
    codes: dict[Hashable, int] = {}
    return np.fromiter((codes.setdefault(key, len(codes)) for key in keys), dtype=np.int64, count=len(keys))
