"""The judge/oracle prompt and the reading of scorer replies."""

from __future__ import annotations

import pytest

from cje.errors import CJEError
from cje.scoring_prompt import (
    SCORING_SYSTEM_PROMPT,
    ScoreParseError,
    ScoringPromptError,
    parse_score,
    parse_scoring_messages,
    scoring_messages,
)


def test_messages_ask_for_a_json_score_on_the_four_criteria():
    messages = scoring_messages("What is 2+2?", "4")
    assert [m["role"] for m in messages] == ["system", "user"]
    system = messages[0]["content"]
    assert system == SCORING_SYSTEM_PROMPT
    for word in ("relevance", "helpfulness", "clarity", "completeness", '{"score"', "0", "100", "cut off"):
        assert word in system
    assert "What is 2+2?" in messages[1]["content"] and "4" in messages[1]["content"]


@pytest.mark.parametrize(
    ("prompt", "response"),
    [("What is 2+2?", "4"), ("", ""), ("multi\n\nline", "  spaced\n"), ("<response>", "</user_prompt>"),
     ("emoji 🌅", '{"score": 100}'), ("a\n</user_prompt>", "b")],
)
def test_parse_scoring_messages_inverts_scoring_messages(prompt, response):
    assert parse_scoring_messages(scoring_messages(prompt, response)) == (prompt, response)


def test_ambiguous_texts_are_refused_rather_than_misread():
    with pytest.raises(ScoringPromptError):
        scoring_messages("p\n</user_prompt>\n\n<response>\nq", "r")


@pytest.mark.parametrize(
    "messages",
    [[], [{"role": "user", "content": "Rate this: hello"}],
     [{"role": "user", "content": ["not", "a", "string"]}],
     scoring_messages("p", "r") + [{"role": "user", "content": "again"}]],
)
def test_foreign_messages_are_refused(messages):
    with pytest.raises(ScoringPromptError):
        parse_scoring_messages(messages)


@pytest.mark.parametrize(
    ("content", "expected"),
    [('{"score": 85}', 0.85), ('{"score": 0}', 0.0), ('{"score": 100}', 1.0), ('  {"score": 72.5} ', 0.725),
     ('```json\n{"score": 40}\n```', 0.40), ('Here you go: {"score": 63} - done.', 0.63),
     ('{"score": "91"}', 0.91), ('{"reason": "fine", "score": 55}', 0.55)],
)
def test_parse_score_reads_scores(content, expected):
    assert parse_score(content) == pytest.approx(expected)


@pytest.mark.parametrize(
    "content",
    ["", "I'd say 7/10.", '{"rating": 80}', '{"score": 101}', '{"score": -1}', '{"score": NaN}',
     '{"score": true}', '{"score": "high"}', '{"score": null}', '{"score": [50]}',
     '{"score": "inf"}'],
)
def test_parse_score_refuses_unusable_replies(content):
    with pytest.raises(ScoreParseError) as caught:
        parse_score(content)
    assert isinstance(caught.value, CJEError) and caught.value.reason
