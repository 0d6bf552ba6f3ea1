"""The log-probability of an assistant text from an echoed chat: pure functions.

The chat is rendered with the policy's template; the provider echoes its
tokens with log-probs and character offsets. The assistant's log-prob is the
sum from the token that starts at the assistant text's first character through
the end-of-turn token, the last one: one call. Only when no token starts there
(the tokenizer merged the boundary into one token) is the prefix echoed on its
own and its total subtracted from the full text's: two calls, which assume the
prefix tokenises the same alone as inside the whole, hence the last resort.

Checks: the echo must be exactly the text sent, every token but the first
must have a log-prob, and none may be positive.
"""

from __future__ import annotations

import math
from bisect import bisect_left
from dataclasses import dataclass
from typing import Literal

from cje.api.client import EchoResult
from cje.chat_template import RenderedChat
from cje.pipeline.errors import PipelineError

Method = Literal["text_offset", "full_minus_prefix"]
_ROUNDING = 1e-6


class EchoCheckError(PipelineError):
    """An echo that cannot give a trustworthy log-prob."""


@dataclass(frozen=True)
class SpanLogprob:
    """The assistant span's log-prob, how it was found, and its token count."""

    logprob: float
    method: Method
    n_tokens: int


def check_echo(echo: EchoResult, sent: str) -> None:
    """The echo is the text sent, and no token log-prob is missing or positive."""
    if echo.text != sent:
        pairs = enumerate(zip(echo.text, sent, strict=False))
        at = next((i for i, (a, b) in pairs if a != b), min(len(echo.text), len(sent)))
        raise EchoCheckError(
            f"the echoed text differs from the text sent at character {at} "
            f"({len(echo.text)} vs {len(sent)} characters)"
        )
    for index, value in enumerate(echo.token_logprobs):
        if value is None and index > 0:
            raise EchoCheckError(f"token {index} ({echo.tokens[index]!r}) has no log-prob")
        if value is not None and (not math.isfinite(value) or value > 0.0):
            raise EchoCheckError(f"token {index} ({echo.tokens[index]!r}) has log-prob {value}: not a probability")


def span_start(echo: EchoResult, offset: int) -> int | None:
    """Index of the token starting exactly at character ``offset``, or None if
    the offset falls inside a token."""
    index = bisect_left(echo.text_offset, offset)
    if index < len(echo.text_offset) and echo.text_offset[index] == offset:
        return index
    return None


def span_from_offset(echo: EchoResult, rendered: RenderedChat) -> SpanLogprob | None:
    """The one-call log-prob, or None when the boundary splits a token."""
    first = span_start(echo, rendered.assistant_start)
    if first is None:
        return None
    values = echo.token_logprobs[first:]
    if first == 0 or not values:
        raise EchoCheckError("the echo has no tokens for the assistant text")
    return SpanLogprob(math.fsum(v for v in values if v is not None), "text_offset", len(values))


def span_from_difference(full: EchoResult, prefix: EchoResult) -> SpanLogprob:
    """The two-call log-prob: all of the full text minus all of the prefix."""
    if len(prefix.tokens) >= len(full.tokens):
        raise EchoCheckError("the prefix has as many tokens as the whole chat")
    total = math.fsum(v for v in full.token_logprobs if v is not None)
    before = math.fsum(v for v in prefix.token_logprobs if v is not None)
    difference = total - before
    if difference > _ROUNDING:
        raise EchoCheckError(
            f"full minus prefix is {difference:.6g} > 0: the prefix tokenises differently on its own"
        )
    # Rounding can leave a hair above zero when the span is (nearly) certain.
    return SpanLogprob(min(difference, 0.0), "full_minus_prefix", len(full.tokens) - len(prefix.tokens))
