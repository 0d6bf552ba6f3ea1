"""Folds from a stable hash of ``prompt_id``.

Python's ``hash()`` is salted per process, so folds built from it change from run
to run. blake2b of the id's UTF-8 bytes gives the same fold for the same prompt on
every machine, whatever the row order or the other prompts in the file.
"""

from __future__ import annotations

import hashlib

import numpy as np

from cje.errors import InsufficientLabelsError

MIN_ORACLE_LABELS = 10
"""Fewer kept oracle labels than this and no calibration is attempted."""


def stable_hash(prompt_id: np.ndarray) -> np.ndarray:
    """A 64-bit blake2b digest of each id's UTF-8 bytes (uint64 array)."""
    digests = b"".join(
        hashlib.blake2b(str(pid).encode("utf-8"), digest_size=8, person=b"cje-fold").digest()
        for pid in prompt_id
    )
    return np.frombuffer(digests, dtype="<u8").astype(np.uint64)


def folds_from_hash(hashes: np.ndarray, n_folds: int, *, stream: int = 0) -> np.ndarray:
    """Fold index in ``[0, n_folds)`` for each hash.

    ``stream`` picks which 32 bits of the digest decide, so two partitions of
    the same prompts (cross-fitting folds, jackknife groups) are independent.
    """
    if n_folds < 1:
        raise ValueError("n_folds must be at least 1")
    if stream not in (0, 1):
        raise ValueError("stream must be 0 or 1")
    bits = (hashes >> np.uint64(32 * stream)) & np.uint64(0xFFFFFFFF)
    return (bits % np.uint64(n_folds)).astype(np.int64)


def hash_folds(prompt_id: np.ndarray, n_folds: int, *, stream: int = 0) -> np.ndarray:
    """Fold index of each prompt id (see :func:`folds_from_hash`)."""
    return folds_from_hash(stable_hash(prompt_id), n_folds, stream=stream)


def calibration_folds_for(n_labels: int, requested: int = 5) -> int:
    """How many cross-fitting folds ``n_labels`` oracle labels support.

    ``requested`` (default 5) from 50 labels up, 3 from 20, 2 from the minimum
    of ``MIN_ORACLE_LABELS``; below that calibration is refused, because an
    isotonic fit on a handful of points per fold is noise.
    """
    if n_labels < MIN_ORACLE_LABELS:
        raise InsufficientLabelsError(
            f"only {n_labels} oracle labels are kept; calibration needs at least "
            f"{MIN_ORACLE_LABELS}. Raise --oracle-coverage or label more rows."
        )
    if n_labels >= 50:
        return requested
    return min(requested, 3 if n_labels >= 20 else 2)
