"""Stable hashes: the identity of texts and settings across processes and runs.

BLAKE2b everywhere (never Python's ``hash()``, which changes between
processes). A derived value (a score, a log-prob) records the hash of the
response text it was computed from, so a changed text is noticed by content.
"""

from __future__ import annotations

import hashlib
import json

_DIGEST_BYTES = 16


def text_hash(text: str) -> str:
    """32 hex digits identifying ``text`` exactly."""
    return hashlib.blake2b(text.encode("utf-8"), digest_size=_DIGEST_BYTES).hexdigest()


def settings_hash(*parts: object) -> str:
    """A hash of JSON-serialisable ``parts`` (the settings a value depends on)."""
    encoded = json.dumps(parts, sort_keys=True, ensure_ascii=False, allow_nan=False)
    return text_hash(encoded)


def stable_uniform(*parts: object) -> float:
    """A number in [0, 1) fixed by ``parts``: a seeded coin that needs no state."""
    digest = hashlib.blake2b(
        json.dumps(parts, ensure_ascii=False).encode("utf-8"), digest_size=8
    ).digest()
    return int.from_bytes(digest, "big") / 2.0**64


def stable_int(*parts: object, bits: int = 31) -> int:
    """A non-negative integer below ``2**bits`` fixed by ``parts`` (a request seed)."""
    return int(stable_uniform(*parts) * 2.0**bits)
