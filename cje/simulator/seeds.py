"""Stable seeds and hash-based numbers, the same in every process.

Python's ``hash()`` of a string changes between processes, so every seed the
simulator derives comes from BLAKE2b over a length-prefixed encoding of its
parts (a part's type is encoded too, so ``1`` and ``"1"`` differ).
"""

from __future__ import annotations

import hashlib

Part = str | int | float | None


def _encode(part: Part) -> bytes:
    if part is None:
        tag, body = b"n", b""
    elif isinstance(part, bool):
        raise TypeError("booleans are not seed parts; pass 0 or 1")
    elif isinstance(part, int):
        tag, body = b"i", str(part).encode()
    elif isinstance(part, float):
        tag, body = b"f", repr(part).encode()
    elif isinstance(part, str):
        tag, body = b"s", part.encode("utf-8")
    else:
        raise TypeError(f"cannot hash a {type(part).__name__} into a seed")
    return tag + len(body).to_bytes(8, "little") + body


def stable_digest(*parts: Part) -> bytes:
    """Eight bytes of BLAKE2b over ``parts``."""
    h = hashlib.blake2b(digest_size=8, person=b"cje-sim")
    for part in parts:
        h.update(_encode(part))
    return h.digest()


def stable_seed(*parts: Part) -> int:
    """A 64-bit seed for ``numpy.random.default_rng`` from ``parts``."""
    return int.from_bytes(stable_digest(*parts), "little")


def stable_uniform(*parts: Part) -> float:
    """A number in [0, 1) from ``parts``, with 53 bits of resolution."""
    return (stable_seed(*parts) >> 11) / float(1 << 53)
