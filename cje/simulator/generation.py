"""Policy responses: a candidate drawn from the policy's distribution.

Reproducibility: each choice's candidate is drawn with a generator seeded by
BLAKE2b of (world seed, model, system prompt, prompt, request ``seed``, draw
number). With a request ``seed`` the draw number is the choice's index, so
identical seeded calls return identical responses. Without one it comes from
a counter kept per (model, system prompt, prompt), so repeated calls give
successive independent draws - and a fresh server gives the same sequence.

``temperature`` 0 returns the most likely candidate; an omitted temperature
means the world policy's own, the one its true value is computed at.
A response longer than ``max_tokens`` is cut at that token and reported with
``finish_reason: "length"``; it still stands for its candidate (the judge
scores it as that candidate and its log-probability is that candidate's).
"""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass

import numpy as np

from cje.simulator.parsing import ChatRequest
from cje.simulator.seeds import stable_seed
from cje.simulator.tokenizer import truncate_to_tokens
from cje.simulator.world_view import PromptWorld
from cje.world.draw import sample_candidates


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
