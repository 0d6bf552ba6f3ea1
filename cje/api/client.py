"""A configured OpenAI-compatible client and two typed calls: chat and echo log-probs.

Every call goes through a ``RetryPolicy`` (the SDK's own retries are off) and
parses the raw JSON body itself, so a missing field is a ``MalformedResponse``
(retried) instead of an attribute error later on. A call either returns a
frozen result or raises ``RequestFailed``.
"""

from __future__ import annotations

import json
import logging
from bisect import bisect_left
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import TYPE_CHECKING, Literal, TypeVar

from cje.api.endpoints import Endpoint
from cje.api.errors import MalformedResponse, RequestFailed
from cje.api.retry import RetryPolicy

if TYPE_CHECKING:
    import openai

logger = logging.getLogger(__name__)

Message = Mapping[str, str]
V = TypeVar("V")


@dataclass(frozen=True)
class Usage:
    """Token counts as the provider reported them (any may be missing)."""

    prompt_tokens: int | None
    completion_tokens: int | None
    total_tokens: int | None


@dataclass(frozen=True)
class ChatResult:
    """The first choice of a chat completion."""

    text: str
    finish_reason: str | None
    usage: Usage | None
    model: str


@dataclass(frozen=True)
class EchoResult:
    """Per-token log-probs of an echoed prompt, generated tokens removed.

    ``text_offset[i]`` is the character offset of ``tokens[i]`` in ``text``;
    ``token_logprobs[0]`` is usually ``None`` (the first token has no context).
    ``max_tokens`` is the value the provider accepted (0, or 1 after a fallback);
    pass it to later calls to skip the rejected request.
    """

    text: str
    tokens: tuple[str, ...]
    token_logprobs: tuple[float | None, ...]
    text_offset: tuple[int, ...]
    max_tokens: int
    model: str
    usage: Usage | None = None


def usage_field(usages: Sequence[Usage | None]) -> dict[str, int] | None:
    """The ``usage`` of a row made by one or more calls: their token counts summed
    (None when no call reported any)."""
    known = [u for u in usages if u is not None]
    if not known:
        return None
    prompt = sum(u.prompt_tokens or 0 for u in known)
    completion = sum(u.completion_tokens or 0 for u in known)
    return {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}


def make_client(endpoint: Endpoint, *, timeout: float = 120.0, max_connections: int = 16) -> openai.OpenAI:
    """A thread-safe client for ``endpoint`` with SDK retries off.

    ``max_connections`` sizes the HTTP connection pool; make it at least the
    number of requests in flight, or requests queue for a connection.
    """
    # The SDK (with httpx and pydantic) takes most of a second to import: only
    # a run that sends requests pays for it, never a --help or a dry run.
    import httpx2
    import openai

    limits = httpx2.Limits(max_connections=max_connections, max_keepalive_connections=max_connections)
    http_client = openai.DefaultHttpx2Client(limits=limits, timeout=timeout)
    return openai.OpenAI(
        api_key=endpoint.api_key.reveal(),
        base_url=endpoint.base_url,
        timeout=timeout,
        max_retries=0,
        http_client=http_client,
    )


def chat(
    client: openai.OpenAI,
    *,
    model: str,
    messages: Sequence[Message],
    temperature: float,
    max_tokens: int,
    retry: RetryPolicy,
    response_format: Mapping[str, object] | None = None,
    token_limit_param: Literal["max_tokens", "max_completion_tokens"] = "max_tokens",
    seed: int | None = None,
) -> ChatResult:
    """``POST /chat/completions``; returns the first choice or raises ``RequestFailed``.

    OpenAI's reasoning models (gpt-5, o-series) reject ``max_tokens``: pass
    ``token_limit_param="max_completion_tokens"`` for them. ``seed`` asks the
    provider for a reproducible sample (best effort on real providers; exact on
    the offline simulator), so a request repeated after a crash gets the same
    response as the one that was lost.
    """
    import openai

    use_max_tokens = token_limit_param == "max_tokens"

    def attempt() -> ChatResult:
        raw = client.chat.completions.with_raw_response.create(
            model=model,
            messages=list(messages),  # type: ignore[arg-type]
            temperature=temperature,
            max_tokens=max_tokens if use_max_tokens else openai.omit,
            max_completion_tokens=openai.omit if use_max_tokens else max_tokens,
            response_format=response_format if response_format is not None else openai.omit,  # type: ignore[arg-type]
            seed=seed if seed is not None else openai.omit,
        )
        return parse_chat(json_body(raw.text), requested_model=model)

    return retry.call(attempt, redact=(client.api_key,))


def echo_logprobs(
    client: openai.OpenAI,
    *,
    model: str,
    prompt: str,
    temperature: float,
    retry: RetryPolicy,
    max_tokens: Literal[0, 1] = 0,
) -> EchoResult:
    """``POST /completions`` with ``echo``, ``logprobs=1``: the log-prob of every prompt token.

    Asks for ``max_tokens=0``; if the provider rejects that with a 400 it tries
    once more with ``max_tokens=1`` and drops the generated token. Raises
    ``RequestFailed`` when no attempt succeeds.
    """
    try:
        return _echo(client, model=model, prompt=prompt, temperature=temperature, retry=retry, max_tokens=max_tokens)
    except RequestFailed as failure:
        if max_tokens != 0 or failure.status_code != 400:
            raise
        logger.info("model %s rejected an echo with max_tokens=0 (%s); trying max_tokens=1", model, failure.error)
    return _echo(client, model=model, prompt=prompt, temperature=temperature, retry=retry, max_tokens=1)


def _echo(
    client: openai.OpenAI, *, model: str, prompt: str, temperature: float, retry: RetryPolicy, max_tokens: int
) -> EchoResult:
    def attempt() -> EchoResult:
        raw = client.completions.with_raw_response.create(
            model=model,
            prompt=prompt,
            echo=True,
            logprobs=1,
            max_tokens=max_tokens,
            temperature=temperature,
        )
        echo = parse_echo(json_body(raw.text), requested_model=model, max_tokens=max_tokens)
        return drop_generated(echo, prompt_chars=len(prompt)) if max_tokens else echo

    return retry.call(attempt, redact=(client.api_key,))


def json_body(text: str) -> dict[str, object]:
    """The body as a JSON object, or ``MalformedResponse``."""
    try:
        body = json.loads(text)
    except json.JSONDecodeError as exc:
        raise MalformedResponse(f"invalid JSON ({len(text)} chars, {exc.msg} at char {exc.pos})") from None
    if not isinstance(body, dict):
        raise MalformedResponse(f"expected a JSON object, got {type(body).__name__}")
    return body


def parse_chat(body: Mapping[str, object], *, requested_model: str) -> ChatResult:
    """Validate a chat completion body and keep its first choice."""
    choice = _first_choice(body)
    message = _need(choice, "message", dict, "choices[0]")
    text = _need(message, "content", str, "choices[0].message")
    finish_reason = choice.get("finish_reason")
    if finish_reason is not None and not isinstance(finish_reason, str):
        raise MalformedResponse("choices[0].finish_reason is not a string")
    return ChatResult(
        text=text,
        finish_reason=finish_reason,
        usage=_usage(body.get("usage")),
        model=_model(body, requested_model),
    )


def parse_echo(body: Mapping[str, object], *, requested_model: str, max_tokens: int) -> EchoResult:
    """Validate a completions body with echoed log-probs."""
    choice = _first_choice(body)
    text = _need(choice, "text", str, "choices[0]")
    logprobs = _need(choice, "logprobs", dict, "choices[0]")
    tokens = _need(logprobs, "tokens", list, "choices[0].logprobs")
    values = _need(logprobs, "token_logprobs", list, "choices[0].logprobs")
    offsets = _need(logprobs, "text_offset", list, "choices[0].logprobs")
    if not len(tokens) == len(values) == len(offsets):
        raise MalformedResponse(
            f"logprobs lists differ in length: {len(tokens)} tokens, "
            f"{len(values)} token_logprobs, {len(offsets)} text_offset"
        )
    if not all(isinstance(t, str) for t in tokens):
        raise MalformedResponse("choices[0].logprobs.tokens holds a non-string")
    if not all(v is None or (isinstance(v, (int, float)) and not isinstance(v, bool)) for v in values):
        raise MalformedResponse("choices[0].logprobs.token_logprobs holds a non-number")
    if not all(isinstance(o, int) and not isinstance(o, bool) for o in offsets):
        raise MalformedResponse("choices[0].logprobs.text_offset holds a non-integer")
    return EchoResult(
        text=text,
        tokens=tuple(tokens),
        token_logprobs=tuple(None if v is None else float(v) for v in values),
        text_offset=tuple(offsets),
        max_tokens=max_tokens,
        model=_model(body, requested_model),
        usage=_usage(body.get("usage")),
    )


def drop_generated(echo: EchoResult, *, prompt_chars: int) -> EchoResult:
    """Remove the tokens generated after the echoed prompt (those starting at or
    beyond ``prompt_chars``) and cut the text where the first of them began."""
    offsets = echo.text_offset
    if any(later < earlier for earlier, later in pairwise(offsets)):
        raise MalformedResponse("choices[0].logprobs.text_offset is not in increasing order")
    keep = bisect_left(offsets, prompt_chars)
    cut = offsets[keep] if keep < len(offsets) else len(echo.text)
    return EchoResult(
        text=echo.text[:cut],
        tokens=echo.tokens[:keep],
        token_logprobs=echo.token_logprobs[:keep],
        text_offset=offsets[:keep],
        max_tokens=echo.max_tokens,
        model=echo.model,
        usage=echo.usage,
    )


def _first_choice(body: Mapping[str, object]) -> dict[str, object]:
    choices = _need(body, "choices", list, "body")
    if not choices or not isinstance(choices[0], dict):
        raise MalformedResponse("body.choices is empty or its first entry is not an object")
    return choices[0]


def _need(obj: Mapping[str, object], key: str, kind: type[V], where: str) -> V:
    value = obj.get(key)
    if not isinstance(value, kind):
        found = "missing" if value is None else type(value).__name__
        raise MalformedResponse(f"{where}.{key}: expected {kind.__name__}, found {found}")
    return value


def _usage(raw: object) -> Usage | None:
    if not isinstance(raw, dict):
        return None
    counts = [raw.get(name) for name in ("prompt_tokens", "completion_tokens", "total_tokens")]
    ints = [c if isinstance(c, int) and not isinstance(c, bool) else None for c in counts]
    return Usage(*ints)


def _model(body: Mapping[str, object], requested: str) -> str:
    model = body.get("model")
    return model if isinstance(model, str) and model else requested
