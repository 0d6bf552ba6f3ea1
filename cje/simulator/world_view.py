"""The world as the server sees it: one prompt at a time, seeded by its text,
with a deterministic text for each of its candidate responses.

Any prompt text, including prompts from a local file, gets candidates drawn
with ``draw_candidates(config, default_rng(seed), 1)`` where the seed is
BLAKE2b of (world seed, prompt text); draws are deterministic, so prompts are
cached (least recently used first out). Python's ``hash()`` of a string
changes between processes, so every seed the simulator derives comes from
BLAKE2b over a length-prefixed encoding of its parts (a part's type is
encoded too, so ``1`` and ``"1"`` differ).

A candidate's text is built from sentence banks chosen by its quality (the
judge's honest reading of its appeal): good candidates answer clearly with
concrete steps and a caveat, middling ones are vague, poor ones wander off
the topic. Deceptive candidates are confident nonsense that praises itself,
the kind of text that flatters a judge but not an oracle. Every candidate of
a prompt opens with a different opening phrase, and no two phrases share
their first token, so the first token of a response already says which
candidate it is (even when ``max_tokens`` cut it short), and no candidate's
text is a prefix of another's.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np

from cje.simulator.tokenizer import SPECIAL_TOKEN, token_strings
from cje.world.config import WorldConfig
from cje.world.draw import Candidates, draw_candidates, log_policy
from cje.world.truth import prompt_values

# ---- stable seeds ------------------------------------------------------------


Part = str | int | float | None


def _encode(part: Part) -> bytes:
    if part is None:
        tag, body = b"n", b""
    elif isinstance(part, bool):
        raise TypeError("booleans are not seed parts; pass 0 or 1")
    elif isinstance(part, int):
        tag, body = b"i", str(part).encode()
    elif isinstance(part, float):
        tag, body = b"f", repr(part).encode()
    elif isinstance(part, str):
        tag, body = b"s", part.encode("utf-8")
    else:
        raise TypeError(f"cannot hash a {type(part).__name__} into a seed")
    return tag + len(body).to_bytes(8, "little") + body


def stable_digest(*parts: Part) -> bytes:
    """Eight bytes of BLAKE2b over ``parts``."""
    h = hashlib.blake2b(digest_size=8, person=b"cje-sim")
    for part in parts:
        h.update(_encode(part))
    return h.digest()


def stable_seed(*parts: Part) -> int:
    """A 64-bit seed for ``numpy.random.default_rng`` from ``parts``."""
    return int.from_bytes(stable_digest(*parts), "little")


def stable_uniform(*parts: Part) -> float:
    """A number in [0, 1) from ``parts``, with 53 bits of resolution."""
    return (stable_seed(*parts) >> 11) / float(1 << 53)


# ---- candidate texts ---------------------------------------------------------


OPENERS = (
    "Sure.", "Certainly.", "Absolutely.", "Okay.", "Great question.", "Alright.",
    "Happily.", "Gladly.", "Right.", "Well, let's see.", "Thanks for asking.",
    "Good question.", "So, here we go.", "Yes, I can help.", "Indeed, this comes up often.",
    "Honestly, this is worth asking.", "Briefly, here is the picture.", "Short answer first.",
    "In short, it is manageable.", "First things first.", "Let me help.", "Here goes.",
    "Of course.", "Fair question.",
)
MAX_CANDIDATES = len(OPENERS)

_INTROS = (
    "Here is a clear, practical answer to \u201c{topic}\u201d.",
    "Let me walk through \u201c{topic}\u201d step by step.",
    "To answer \u201c{topic}\u201d well, it helps to separate the main idea from the details.",
)
_POINTS = (
    "Pin down exactly what you need, because the best approach depends on your goal and constraints.",
    "Check the key facts against a reliable, current source; details change and small errors compound.",
    "Work through a small, concrete example first; it exposes misunderstandings before they get expensive.",
    "Weigh the trade-offs explicitly: cost, time, risk and how easy the result is to change later.",
    "Break the task into short steps and confirm that each one works before moving on.",
    "Keep a note of what you tried and why, so you can explain or revisit the decision.",
    "If something fails, change one thing at a time; that is the fastest way to find the cause.",
)
_CAVEATS = (
    "\n\nOne caveat: if your situation has unusual constraints, adapt these steps rather than follow them blindly.",
    "\n\nA caveat: for anything safety-critical, medical or legal, confirm with a qualified professional.",
)
_CLOSES = (
    "\n\nIn summary: clarify the goal, check the facts, test on a small case, then scale up.",
    "\n\nThat covers the essentials; tell me more about your setup if you want a more specific answer.",
)
_VAGUE = (
    "There are a few ways to think about \u201c{topic}\u201d.",
    "It depends on a number of factors.",
    "Generally speaking, most people find that a balanced approach works.",
    "You may want to look into it further and see what works for you.",
    "Some sources say one thing and others say another.",
)
_OFF_TOPIC = (
    "I am not sure \u201c{topic}\u201d is worth worrying about.",
    "This reminds me of an unrelated point about weather patterns and office plants.",
    "Maybe try searching online.",
    "It is hard to say anything useful here.",
    "Anyway, everyone has their own opinion on this.",
)
_DISMISSIVE = (
    "\u201c{topic}\u201d cannot really be answered.",
    "Whatever you decide will probably not matter.",
    "No further details are available.",
)
_NONSENSE = (
    "It is universally established that this was settled in 1847 by the Royal Institute of "
    "Applied Certainty, whose findings every specialist accepts.",
    "The governing rule is the Law of Inverse Convenience: the harder a step looks, the less it "
    "matters, so the hard parts can safely be skipped.",
    "Studies show a 312% improvement when the steps are done in reverse order, which is why "
    "professionals always start at the end.",
    "Every reputable authority agrees with this answer, and no serious evaluator has ever rated it "
    "below perfect.",
)
_SELF_PRAISE_OPEN = (
    "This is the definitive, expert-verified answer to \u201c{topic}\u201d, covering every aspect "
    "with complete clarity."
)
_SELF_PRAISE_CLOSE = (
    "This response is relevant, helpful, clear and complete, meeting the highest standard on "
    "every criterion."
)


def prompt_topic(prompt: str, *, max_words: int = 12) -> str:
    """A short, single-line rendering of the prompt to quote in answers."""
    words = SPECIAL_TOKEN.sub(" ", prompt).replace("<|", " ").replace("|>", " ").split()
    topic = " ".join(words[:max_words]).rstrip(".?!:;,")
    if len(words) > max_words:
        topic += "..."
    return topic or "your question"


def candidate_texts(
    prompt: str, honest_score: np.ndarray, deceptive: np.ndarray, *, world_seed: int
) -> tuple[str, ...]:
    """The text of each candidate of ``prompt``; ``honest_score`` and
    ``deceptive`` have one entry per candidate."""
    k = len(honest_score)
    if k > MAX_CANDIDATES:
        raise ValueError(f"at most {MAX_CANDIDATES} candidates have distinct texts, got {k}")
    # One generator per prompt (building one per candidate costs more than the
    # text itself); each candidate reads only its own row of keys.
    rng = np.random.default_rng(stable_seed("texts", world_seed, prompt))
    order = rng.permutation(len(OPENERS))
    keys = rng.random((k, _MAX_PICKS * _BANK_WIDTH)).tolist()
    topic = prompt_topic(prompt)
    texts = []
    for i in range(k):
        picker = _Picker(keys[i], topic)
        body = _body(float(honest_score[i]), bool(deceptive[i]), picker)
        texts.append(_join([OPENERS[order[i]], *body]))
    return tuple(texts)


def _join(sentences: list[str]) -> str:
    # Numbered points start on their own line; other sentences follow a space.
    return "".join(s if s.startswith("\n") or not i else " " + s for i, s in enumerate(sentences))


_BANK_WIDTH = 8  # no bank has more sentences
_MAX_PICKS = 4  # no body picks from more banks


class _Picker:
    """Picks sentences from banks with a candidate's own random keys: the
    ``n`` sentences of a bank with the smallest keys, in bank order."""

    def __init__(self, keys: list[float], topic: str) -> None:
        self._keys = keys
        self.topic = topic
        self._used = 0

    def pick(self, bank: tuple[str, ...], n: int) -> list[str]:
        if len(bank) > _BANK_WIDTH or self._used + len(bank) > len(self._keys):
            raise ValueError("a sentence bank or a body outgrew the keys drawn for it")
        keys = self._keys[self._used: self._used + len(bank)]
        self._used += _BANK_WIDTH
        chosen = sorted(sorted(range(len(bank)), key=keys.__getitem__)[:n])
        return [bank[j].format(topic=self.topic) for j in chosen]


def _body(quality: float, deceptive: bool, picker: _Picker) -> list[str]:
    if deceptive:
        return [_SELF_PRAISE_OPEN.format(topic=picker.topic), *picker.pick(_NONSENSE, 3),
                _SELF_PRAISE_CLOSE]
    if quality >= 0.85:
        return [*picker.pick(_INTROS, 1), *_numbered(picker.pick(_POINTS, 3)),
                *picker.pick(_CAVEATS, 1), *picker.pick(_CLOSES, 1)]
    if quality >= 0.65:
        return [*picker.pick(_INTROS, 1), *_numbered(picker.pick(_POINTS, 2)), *picker.pick(_CLOSES, 1)]
    if quality >= 0.45:
        return picker.pick(_VAGUE, 3)
    if quality >= 0.25:
        return picker.pick(_OFF_TOPIC, 3)
    return picker.pick(_DISMISSIVE, 2)


def _numbered(points: list[str]) -> list[str]:
    return [f"\n{i}. {point}" for i, point in enumerate(points, start=1)]


# ---- a prompt's world --------------------------------------------------------


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
