"""Keep generated tables in a Markdown file between named markers.

Everything outside ``<!-- BEGIN name -->`` ... ``<!-- END name -->`` is left
as written by hand; the text between is replaced.
"""

from __future__ import annotations

import re
from pathlib import Path

from cje.errors import CJEError
from cje.io.atomic import write_text_atomic


class MarkerError(CJEError):
    """A generated section's markers are missing from the file."""


def splice(text: str, name: str, content: str) -> str:
    pattern = re.compile(rf"(<!-- BEGIN {re.escape(name)} -->\n).*?(<!-- END {re.escape(name)} -->)", re.DOTALL)
    if not pattern.search(text):
        raise MarkerError(f"markers for {name!r} not found: add <!-- BEGIN {name} --> and <!-- END {name} -->")
    return pattern.sub(lambda m: m.group(1) + content.rstrip("\n") + "\n" + m.group(2), text, count=1)


def update_sections(path: Path, sections: dict[str, str]) -> None:
    text = path.read_text(encoding="utf-8")
    for name, content in sections.items():
        text = splice(text, name, content)
    write_text_atomic(path, text)
