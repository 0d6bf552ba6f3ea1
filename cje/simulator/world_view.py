"""The world as the server sees it: one prompt at a time, seeded by its text.

Any prompt text, including prompts from a local file, gets candidates drawn
with ``draw_candidates(config, default_rng(seed), 1)`` where the seed is
BLAKE2b of (world seed, prompt text); draws are deterministic, so prompts are
cached (least recently used first out).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np

from cje.simulator.seeds import stable_seed
from cje.simulator.texts import candidate_texts
from cje.simulator.tokenizer import token_strings
from cje.world.config import WorldConfig
from cje.world.draw import Candidates, draw_candidates, log_policy
from cje.world.truth import prompt_values


@dataclass(frozen=True)
class CandidateMatch:
    """A response recognised as candidate ``index``; ``complete`` is False
    when the response is the candidate cut short at a token boundary."""

    index: int
    complete: bool


@dataclass(frozen=True)
class PromptWorld:
    """One prompt's candidates (arrays of shape (1, K)) and their texts."""

    prompt: str
    config: WorldConfig
    candidates: Candidates
    texts: tuple[str, ...]

    def log_policy(self, policy: str, temperature: float | None = None) -> np.ndarray:
        """Log-probability of each candidate under ``policy``: shape (K,)."""
        return log_policy(self.candidates, self.config, policy, temperature)[0]

    def values(self) -> dict[str, float]:
        """Each policy's expected oracle label on this prompt, at its own temperature."""
        return {p: float(prompt_values(self.candidates, self.config, p)[0]) for p in self.config.policies}

    def match(self, response: str) -> CandidateMatch | None:
        """Which candidate ``response`` is, if any: the whole text, or its text
        cut at a token boundary. Candidates' first tokens differ, so a
        non-empty token prefix names at most one candidate."""
        if not response:
            return None
        for index, text in enumerate(self.texts):
            if text == response:
                return CandidateMatch(index, True)
            # Tokens are not stored (they would dominate the cache's memory);
            # a prefix is checked against the candidate's tokens on demand.
            if text.startswith(response) and _ends_at_token(text, response):
                return CandidateMatch(index, False)
        return None


def _ends_at_token(text: str, prefix: str) -> bool:
    end = 0
    for token in token_strings(text):
        end += len(token)
        if end >= len(prefix):
            return end == len(prefix)
    return False


def build_prompt_world(prompt: str, config: WorldConfig, world_seed: int) -> PromptWorld:
    rng = np.random.default_rng(stable_seed("prompt", world_seed, prompt))
    candidates = draw_candidates(config, rng, 1)
    texts = candidate_texts(
        prompt, candidates.honest_judge_score[0], candidates.deceptive[0], world_seed=world_seed
    )
    return PromptWorld(prompt, config, candidates, texts)


class WorldView:
    """Thread-safe, cached access to each prompt's world."""

    def __init__(self, config: WorldConfig, world_seed: int, *, cache_size: int = 4096) -> None:
        self.config = config
        self.world_seed = world_seed
        self._cache_size = cache_size
        self._cache: OrderedDict[str, PromptWorld] = OrderedDict()
        self._lock = threading.Lock()

    def prompt(self, prompt: str) -> PromptWorld:
        with self._lock:
            world = self._cache.get(prompt)
            if world is not None:
                self._cache.move_to_end(prompt)
                return world
        # Built outside the lock: two threads may build the same prompt at
        # once, which is harmless since the build is deterministic.
        world = build_prompt_world(prompt, self.config, self.world_seed)
        with self._lock:
            self._cache[prompt] = world
            self._cache.move_to_end(prompt)
            while len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        return world
