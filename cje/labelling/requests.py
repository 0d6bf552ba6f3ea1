"""Read a label-suggestions file back: the prompts of one policy to label."""

from __future__ import annotations

import json
from pathlib import Path

from cje.errors import CJEError


def requested_prompts(path: Path, policy: str) -> frozenset[str]:
    """The prompt ids ``path`` lists for ``policy`` (one JSON object per line
    with ``prompt_id`` and ``policy``; blank lines skipped)."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as error:
        raise CJEError(f"{path}: cannot be read ({error.strerror or error})") from error
    found = set()
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as error:
            raise CJEError(f"{path}:{number}: not JSON ({error.msg})") from error
        if not isinstance(row, dict) or not isinstance(row.get("prompt_id"), str) or \
                not isinstance(row.get("policy"), str):
            raise CJEError(f"{path}:{number}: each line needs a string prompt_id and policy")
        if row["policy"] == policy:
            found.add(row["prompt_id"])
    return frozenset(found)
