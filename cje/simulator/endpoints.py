"""The OpenAI-compatible endpoints - models, chat completions, completions -
and what each answers.

Policy responses: a candidate drawn from the policy's distribution. Each
choice's candidate is drawn with a generator seeded by BLAKE2b of (world seed,
model, system prompt, prompt, request ``seed``, draw number). With a request
``seed`` the draw number is the choice's index, so identical seeded calls
return identical responses. Without one it comes from a counter kept per
(model, system prompt, prompt), so repeated calls give successive independent
draws - and a fresh server gives the same sequence. ``temperature`` 0 returns
the most likely candidate; an omitted temperature means the world policy's
own, the one its true value is computed at. A response longer than
``max_tokens`` is cut at that token and reported with ``finish_reason:
"length"``; it still stands for its candidate (the judge scores it as that
candidate and its log-probability is that candidate's).

Judge and oracle replies: the scorer reads (prompt, response) back from the
messages built by ``cje.scoring_prompt``, looks the response up among the
prompt's candidates (a response cut short by ``max_tokens`` counts as its
candidate), and answers ``{"score": n}`` on 0-100:

* the judge: the candidate's ``judge_score`` x 100, deterministic;
* the oracle: a label drawn around the candidate's ``oracle_center`` with the
  world's oracle noise (clipped to [0, 1]) x 100, from a generator seeded by
  (world seed, prompt, response), so the same response always gets the same
  label.

A response that is no candidate of its prompt gets the judge's lowest score
(10) and an oracle label drawn around 0.

Teacher-forced log-probabilities of a rendered chat, token by token. The
prompt text must be a chat rendered with the server's chat template (a 400
otherwise); (model, system prompt) name the policy. Tokens get:

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

import json
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from cje.chat_template import ChatTemplateError, ParsedChat, get_chat_template
from cje.scoring_prompt import ScoringPromptError, parse_scoring_messages
from cje.simulator.config import Router, Scorer
from cje.simulator.protocol import (
    ApiError,
    ChatRequest,
    bad_request,
    chat_choice,
    chat_completion,
    model_list,
    model_object,
    parse_chat_request,
    parse_completion_request,
    text_completion,
)
from cje.simulator.tokenizer import token_strings, tokenize, truncate_to_tokens
from cje.simulator.world_view import PromptWorld, WorldView, stable_seed, stable_uniform
from cje.world.draw import draw_oracle_labels, sample_candidates

if TYPE_CHECKING:
    from cje.simulator.server import SimulatorApp


# ---- teacher-forced log-probs ------------------------------------------------


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


# ---- policy responses --------------------------------------------------------


@dataclass(frozen=True)
class Generated:
    """One choice: the text sent, why it ended, and the candidate behind it."""

    text: str
    finish_reason: str
    candidate: int


class DrawCounter:
    """How many unseeded draws each (model, system, prompt) has had."""

    def __init__(self) -> None:
        self._counts: Counter[tuple[str, str | None, str]] = Counter()
        self._lock = threading.Lock()

    def take(self, key: tuple[str, str | None, str], n: int) -> int:
        """Reserve ``n`` draw numbers; returns the first."""
        with self._lock:
            first = self._counts[key]
            self._counts[key] += n
            return first


def draw_numbers(request: ChatRequest, counter: DrawCounter) -> list[int]:
    """The draw number of each choice of ``request`` (see the module docstring)."""
    if request.seed is not None:
        return list(range(request.n))
    first = counter.take((request.model, request.system, request.user), request.n)
    return list(range(first, first + request.n))


def generate(
    world: PromptWorld, policy: str, request: ChatRequest, draws: list[int], *, world_seed: int
) -> list[Generated]:
    """One response per draw number."""
    if request.temperature == 0:
        best = int(np.argmax(world.candidates.logits[policy][0]))
        chosen = [best] * len(draws)
    else:
        log_prob = world.log_policy(policy, request.temperature)[None, :]
        chosen = [_sample(log_prob, request, draw, world_seed) for draw in draws]
    return [_respond(world.texts[k], k, request.max_tokens) for k in chosen]


def _sample(log_prob: np.ndarray, request: ChatRequest, draw: int, world_seed: int) -> int:
    seed = stable_seed("draw", world_seed, request.model, request.system, request.user,
                       request.seed, draw)
    return int(sample_candidates(log_prob, np.random.default_rng(seed))[0, 0])


def _respond(text: str, candidate: int, max_tokens: int | None) -> Generated:
    if max_tokens is None:
        return Generated(text, "stop", candidate)
    kept, cut = truncate_to_tokens(text, max_tokens)
    return Generated(kept, "length" if cut else "stop", candidate)


# ---- judge and oracle scores -------------------------------------------------


UNKNOWN_JUDGE_SCORE = 0.10
UNKNOWN_ORACLE_CENTER = 0.0
BAD_JUDGE_REPLY = "I would rate this response as fairly good overall, maybe a seven out of ten."


def score(view: WorldView, scorer: Scorer, messages: tuple[dict[str, object], ...]) -> float:
    """The score on 0-100 that ``scorer`` gives the response framed in ``messages``."""
    try:
        prompt, response = parse_scoring_messages(list(messages))
    except ScoringPromptError as error:
        raise bad_request(f"the simulated {scorer} reads only cje.scoring_prompt messages: {error}",
                          "messages") from None
    world = view.prompt(prompt)
    match = world.match(response)
    if scorer == "judge":
        value = UNKNOWN_JUDGE_SCORE if match is None else float(world.candidates.judge_score[0, match.index])
        # The judge's grid is 0.05; rounding removes float noise such as 35.00000000000001.
        return round(100.0 * value, 6)
    center = UNKNOWN_ORACLE_CENTER if match is None else float(world.candidates.oracle_center[0, match.index])
    rng = np.random.default_rng(stable_seed("oracle", view.world_seed, prompt, response))
    label = float(draw_oracle_labels(np.array([center]), view.config, rng)[0])
    return 100.0 * label


def score_content(value: float) -> str:
    """The reply content for a score: ``{"score": n}``, n an integer when whole."""
    number: float | int = int(value) if float(value).is_integer() else value
    return json.dumps({"score": number})


# ---- the endpoints -----------------------------------------------------------


Endpoint = Callable[[dict[str, object]], dict[str, object]]
_MESSAGE_OVERHEAD_TOKENS = 4


class ApiEndpoints:
    """The API endpoints of one simulator."""

    def __init__(self, app: SimulatorApp) -> None:
        self.app = app

    def endpoint(self, method: str, path: str) -> Endpoint:
        """The function serving (method, path); 404 or 405 otherwise."""
        table: dict[str, tuple[str, Endpoint]] = {
            "/v1/models": ("GET", self.models),
            "/v1/chat/completions": ("POST", self.chat),
            "/v1/completions": ("POST", self.completions),
        }
        if path.startswith("/v1/models/"):
            model = path[len("/v1/models/"):]
            return self._one_model(method, model)
        if path not in table:
            raise ApiError(404, f"Unknown path {path}.", code="unknown_url")
        allowed, function = table[path]
        if method != allowed:
            raise ApiError(405, f"{path} takes {allowed}, not {method}.", code="method_not_allowed")
        return function

    def _one_model(self, method: str, model: str) -> Endpoint:
        if method != "GET":
            raise ApiError(405, f"/v1/models/{model} takes GET.", code="method_not_allowed")

        def one(_body: dict[str, object]) -> dict[str, object]:
            self.app.router.require_model(model)
            return model_object(model)

        return one

    def models(self, _body: dict[str, object]) -> dict[str, object]:
        return model_list(self.app.router.models)

    def chat(self, body: dict[str, object]) -> dict[str, object]:
        request = parse_chat_request(body)
        prompt_tokens = _prompt_tokens(request)
        scorer = self.app.router.scorer(request.model)
        if scorer is not None:
            value = score(self.app.view, scorer, request.messages)
            content = score_content(value)
            if request.response_format == "text":
                # Outside JSON mode, models tend to wrap JSON in a Markdown fence.
                content = f"```json\n{content}\n```"
            choices = [chat_choice(i, content, "stop") for i in range(request.n)]
            completion = len(token_strings(content)) * request.n
            return chat_completion(request.model, choices, prompt_tokens, completion)
        return self._policy_chat(request, prompt_tokens)

    def _policy_chat(self, request: ChatRequest, prompt_tokens: int) -> dict[str, object]:
        app = self.app
        policy = app.router.policy(request.model, request.system)
        world = app.view.prompt(request.user)
        draws = draw_numbers(request, app.draws)
        generated = generate(world, policy, request, draws, world_seed=app.config.seed)
        app.served.record(policy, world)
        choices = [chat_choice(i, g.text, g.finish_reason) for i, g in enumerate(generated)]
        completion = sum(len(token_strings(g.text)) for g in generated)
        return chat_completion(request.model, choices, prompt_tokens, completion)

    def completions(self, body: dict[str, object]) -> dict[str, object]:
        request = parse_completion_request(body)
        app = self.app
        app.router.require_model(request.model)
        choices = []
        prompt_tokens = 0
        for index, prompt in enumerate(request.prompts):
            scored = score_text(
                prompt, model=request.model, temperature=request.temperature, router=app.router,
                view=app.view, template=app.config.chat_template,
            )
            prompt_tokens += len(scored.tokens)
            generated = ""
            if request.max_tokens == 1:
                scored = with_generated_token(scored, prompt, request.model)
                generated = GENERATED_TOKEN
            choices.append({
                "text": (prompt if request.echo else "") + generated,
                "index": index,
                "logprobs": _logprobs(scored, request.logprobs, request.echo, len(prompt)),
                "finish_reason": "length",
            })
        completion = request.max_tokens * len(request.prompts)
        return text_completion(request.model, choices, prompt_tokens, completion)


def _prompt_tokens(request: ChatRequest) -> int:
    texts = [request.user] if request.system is None else [request.system, request.user]
    return sum(len(token_strings(t)) + _MESSAGE_OVERHEAD_TOKENS for t in texts)


def _logprobs(scored: ScoredText, top: int | None, echo: bool, prompt_chars: int) -> dict[str, object] | None:
    """OpenAI's legacy ``logprobs`` object; without echo, only generated tokens."""
    if top is None:
        return None
    rows = list(zip(scored.tokens, scored.offsets, scored.logprobs))
    if not echo:
        rows = [(t, o - prompt_chars, lp) for t, o, lp in rows if o >= prompt_chars]
    return {
        "tokens": [t for t, _, _ in rows],
        "token_logprobs": [lp for _, _, lp in rows],
        "text_offset": [o for _, o, _ in rows],
        # The simulator reports the chosen token as its own top alternative.
        "top_logprobs": [None if lp is None else ({t: lp} if top > 0 else {}) for t, _, lp in rows],
    }
