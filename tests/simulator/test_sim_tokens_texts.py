"""The simulator's tokenizer and candidate texts."""

from __future__ import annotations

import numpy as np
import pytest

from cje.chat_template import render_chat
from cje.simulator.tokenizer import token_strings, tokenize, truncate_to_tokens
from cje.simulator.world_view import (
    MAX_CANDIDATES,
    OPENERS,
    WorldView,
    candidate_texts,
    prompt_topic,
    stable_seed,
    stable_uniform,
)
from cje.world.config import WorldConfig

ALPHABET = list("ab Z9_ \n\t.,'é—🌅<|>") + ["<|eot_id|>", "<|x|>", "  ", "123456"]


def random_texts(n: int, seed: int = 0) -> list[str]:
    rng = np.random.default_rng(seed)
    return ["".join(rng.choice(ALPHABET, size=rng.integers(0, 40))) for _ in range(n)]


def test_tokens_cover_the_text_exactly_with_correct_offsets():
    for text in random_texts(500):
        t = tokenize(text)
        assert "".join(t.tokens) == text
        assert all(text.startswith(tok, off) for tok, off in zip(t.tokens, t.offsets))
        assert all(tok for tok in t.tokens)


def test_special_tokens_are_single_tokens():
    assert token_strings("a<|eot_id|> b<|x|>") == ("a", "<|eot_id|>", " b", "<|x|>")
    assert token_strings("x <|eot_id|>") == ("x", " ", "<|eot_id|>")


def test_cutting_at_a_token_boundary_keeps_the_leading_tokens():
    for text in random_texts(300, seed=1):
        tokens = token_strings(text)
        for k in range(len(tokens) + 1):
            assert token_strings("".join(tokens[:k])) == tokens[:k]


def test_truncate_to_tokens():
    assert truncate_to_tokens("Hello there, world", 2) == ("Hello there", True)
    assert truncate_to_tokens("Hello there", 2) == ("Hello there", False)


def test_assistant_text_starts_at_a_token_boundary():
    for text in random_texts(200, seed=2):
        rendered = render_chat("sys", "user", text.replace("<|eot_id|>", ""))
        assert rendered.assistant_start in tokenize(rendered.text).offsets


def test_openers_start_with_distinct_tokens():
    firsts = [token_strings(o)[0] for o in OPENERS]
    assert len(set(firsts)) == len(OPENERS) == MAX_CANDIDATES


def test_candidate_texts_are_distinct_and_deterministic():
    view = WorldView(WorldConfig(), 42, cache_size=8)
    for i in range(60):
        prompt = f"Question {i}: how do I {'fix' if i % 2 else 'learn'} thing number {i}?"
        world = view.prompt(prompt)
        assert len(set(world.texts)) == len(world.texts) == 12
        assert len({token_strings(t)[0] for t in world.texts}) == 12
        again = WorldView(WorldConfig(), 42).prompt(prompt)
        assert again.texts == world.texts
        assert np.array_equal(again.candidates.appeal, world.candidates.appeal)
    assert WorldView(WorldConfig(), 43).prompt(prompt).texts != world.texts


def test_text_quality_follows_the_honest_score():
    texts = candidate_texts("Fix my bike", np.array([0.95, 0.5, 0.3, 0.12, 0.9]),
                            np.array([False, False, False, False, True]), world_seed=1)
    assert "\n3. " in texts[0] and "caveat" in texts[0]
    assert all("\n1. " not in t and "caveat" not in t for t in texts[1:4])
    assert len(texts[3]) < len(texts[0]) and len(texts[3]) < len(texts[1])
    assert "definitive" in texts[4] and "highest standard" in texts[4]


def test_prompt_topic_is_one_clean_line():
    assert prompt_topic("  What   is\nthis?  ") == "What is this"
    assert "<|" not in prompt_topic("<|eot_id|> sneaky <|begin_of_text|> prompt <|foo")
    assert prompt_topic("") == "your question"
    assert prompt_topic(" ".join(["w"] * 20)).endswith("...")


def test_stable_seeds_are_typed_and_process_independent():
    assert stable_seed("a", 1) != stable_seed("a", "1")
    assert stable_seed("a", None) != stable_seed("a", "")
    assert stable_seed("x", 42, "prompt") == 8861282913334194612  # fixed: the same in every process
    assert 0.0 <= stable_uniform("u") < 1.0
    with pytest.raises(TypeError):
        stable_seed(True)


def test_world_cache_evicts_least_recently_used():
    view = WorldView(WorldConfig(), 42, cache_size=2)
    a = view.prompt("a")
    view.prompt("b")
    assert view.prompt("a") is a
    view.prompt("c")
    assert view.prompt("a") is a
    assert len(view._cache) == 2 and "b" not in view._cache


def test_match_recognises_whole_candidates_and_token_boundary_cuts_only():
    world = WorldView(WorldConfig(), 42).prompt("Match me")
    text = world.texts[3]
    tokens = token_strings(text)
    assert world.match(text).complete and world.match(text).index == 3
    cut = world.match("".join(tokens[:5]))
    assert (cut.index, cut.complete) == (3, False)
    assert world.match(tokens[0][:-1]) is None  # cut inside a token
    assert world.match(text + " And more.") is None
    assert world.match("") is None
