"""The simulator's tokenizer: deterministic, lossless and prefix-stable.

Special tokens ``<|name|>`` are single tokens. Between them, a token is a run
of letters, one to three digits, or one other symbol, each optionally preceded
by one space; any other whitespace character is a token on its own. Hence:

* the tokens concatenate back to the text exactly;
* a text cut at a token boundary tokenises to the leading tokens of the whole
  (so a response truncated by ``max_tokens`` is a token prefix of its
  candidate);
* after ``<|end_header_id|>\\n\\n`` a new token always starts, so the assistant
  text of a rendered chat starts at a token boundary.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

SPECIAL_TOKEN = re.compile(r"<\|[A-Za-z0-9_]+\|>")
_ORDINARY = re.compile(r" ?[^\W\d_]+| ?\d{1,3}| ?[^\w\s]| ?_|\s")


@dataclass(frozen=True)
class Tokenization:
    """Tokens of a text and the character offset where each one starts."""

    tokens: tuple[str, ...]
    offsets: tuple[int, ...]

    def __len__(self) -> int:
        return len(self.tokens)


def token_strings(text: str) -> tuple[str, ...]:
    """The tokens of ``text`` (see the module docstring)."""
    tokens: list[str] = []
    position = 0
    for special in SPECIAL_TOKEN.finditer(text):
        tokens.extend(_ORDINARY.findall(text[position: special.start()]))
        tokens.append(special.group())
        position = special.end()
    tokens.extend(_ORDINARY.findall(text[position:]))
    return tuple(tokens)


def tokenize(text: str) -> Tokenization:
    """The tokens of ``text`` with their offsets. Tokens cover the text
    without gaps, so each offset is the total length of the tokens before it."""
    tokens = token_strings(text)
    offsets = []
    position = 0
    for token in tokens:
        offsets.append(position)
        position += len(token)
    return Tokenization(tokens, tuple(offsets))


def truncate_to_tokens(text: str, max_tokens: int) -> tuple[str, bool]:
    """The first ``max_tokens`` tokens of ``text``, and whether anything was cut."""
    tokens = token_strings(text)
    if len(tokens) <= max_tokens:
        return text, False
    return "".join(tokens[:max_tokens]), True
