"""Teacher-forced log-probabilities of a rendered chat, token by token.

The prompt text must be a chat rendered with the server's chat template (a
400 otherwise); (model, system prompt) name the policy. Tokens get:

* before the assistant text (system, user, headers): a context log-prob that
  depends only on (model, previous token, token) - so a prefix of the text
  gets the same values in a call of its own, and "full minus prefix"
  agrees with one call; the first token gets None, as with real APIs;
* the assistant span, from its first token through the end-of-turn token:
  when the assistant text is a candidate of the prompt, or a candidate cut at
  a token boundary, ``log pi(candidate | prompt)`` under the policy at the
  request's temperature, shared out over the span's tokens in fixed
  hash-based proportions (every token < 0, sum exact to rounding);
  any other assistant text gets ``OFF_CANDIDATE_LOGPROB`` per token;
* a generated token (``max_tokens: 1``): ``<|end_of_text|>`` with a context
  log-prob.

The temperature is the request's; omitted or 0, the policy's own (a greedy,
zero-temperature distribution has no finite log-probabilities).
"""

from __future__ import annotations

from dataclasses import dataclass

from cje.chat_template import ChatTemplateError, ParsedChat, get_chat_template
from cje.simulator.protocol import bad_request
from cje.simulator.routes import Router
from cje.simulator.seeds import stable_uniform
from cje.simulator.tokenizer import tokenize
from cje.simulator.world_view import WorldView

OFF_CANDIDATE_LOGPROB = -20.0
GENERATED_TOKEN = "<|end_of_text|>"
_CONTEXT_SCALE = 6.0


@dataclass(frozen=True)
class ScoredText:
    """Tokens of a text with their offsets and log-probs (None for the first)."""

    tokens: tuple[str, ...]
    offsets: tuple[int, ...]
    logprobs: tuple[float | None, ...]


def context_logprob(model: str, previous: str, token: str) -> float:
    """A fixed log-prob in (-6, 0] for a token outside the assistant span."""
    u = stable_uniform("context", model, previous, token)
    return -_CONTEXT_SCALE * u * u


def score_text(
    text: str, *, model: str, temperature: float | None, router: Router, view: WorldView,
    template: str,
) -> ScoredText:
    """Token log-probs of ``text`` under the policy the chat addresses."""
    try:
        chat = get_chat_template(template).parse(text)
    except ChatTemplateError as error:
        raise bad_request(f"the simulator scores only {template} chats: {error}", "prompt") from None
    policy = router.policy(model, chat.system)
    tokenization = tokenize(text)
    tokens, offsets = tokenization.tokens, tokenization.offsets
    first_span = _token_at(offsets, chat.assistant_start)
    logprobs: list[float | None] = [
        None if i == 0 else context_logprob(model, tokens[i - 1], tokens[i]) for i in range(first_span)
    ]
    span_total = _span_total(chat, view, policy, temperature, len(tokens) - first_span)
    logprobs.extend(_share_out(span_total, model, tokens[first_span:]))
    return ScoredText(tokens, offsets, tuple(logprobs))


def _token_at(offsets: tuple[int, ...], position: int) -> int:
    """Index of the token starting at ``position`` (the end when past the last)."""
    for i, offset in enumerate(offsets):
        if offset >= position:
            if offset != position:
                raise ValueError("the assistant text does not start at a token boundary")
            return i
    return len(offsets)


def _span_total(
    chat: ParsedChat, view: WorldView, policy: str, temperature: float | None, n_tokens: int
) -> float | None:
    """The log-prob of the whole assistant span, or None when it is no candidate."""
    if n_tokens == 0:
        return 0.0
    world = view.prompt(chat.user)
    match = world.match(chat.assistant)
    if match is None:
        return None
    t = temperature if temperature else None
    return float(world.log_policy(policy, t)[match.index])


def _share_out(total: float | None, model: str, tokens: tuple[str, ...]) -> list[float]:
    if not tokens:
        return []
    if total is None:
        return [OFF_CANDIDATE_LOGPROB] * len(tokens)
    # Fixed positive weights: every token carries part of the log-prob, so a
    # span that misses one token (often the end-of-turn) gives a wrong sum.
    weights = [0.25 + stable_uniform("span", model, i, tok) for i, tok in enumerate(tokens)]
    scale = total / sum(weights)
    return [min(0.0, w * scale) for w in weights]


def with_generated_token(scored: ScoredText, text: str, model: str) -> ScoredText:
    """``scored`` followed by the one token a ``max_tokens: 1`` call generates."""
    previous = scored.tokens[-1] if scored.tokens else ""
    return ScoredText(
        scored.tokens + (GENERATED_TOKEN,),
        scored.offsets + (len(text),),
        scored.logprobs + (context_logprob(model, previous, GENERATED_TOKEN),),
    )
