"""The prompt the judge and the oracle answer, and the reading of their replies.

Both scorers get the same instructions (a system message) and the same framed
prompt and response (a user message), and reply with a JSON object
``{"score": <number 0-100>}``; :func:`parse_score` turns the reply into a score
on [0, 1]. :func:`parse_scoring_messages` is the exact inverse of
:func:`scoring_messages`; the offline simulator uses it to see what is scored.
"""

from __future__ import annotations

import json
import math
import re

from cje.errors import CJEError

SCORING_SYSTEM_PROMPT = (
    "You are an impartial evaluator of AI assistant responses. You will be shown a "
    "user's prompt and one assistant response to it. Rate the response on four "
    "criteria taken together: relevance (does it address what was asked), "
    "helpfulness (would it actually help the user), clarity (is it easy to follow) "
    "and completeness (does it cover what the user needs). Accuracy matters: "
    "confident but wrong statements make a response worse, not better. If the "
    "response stops mid-way because it was cut off, score the part that is there "
    "and do not penalise the cut itself.\n\n"
    "Reply with a JSON object and nothing else, of the form {\"score\": <number>}, "
    "where the number is between 0 (useless or harmful) and 100 (excellent)."
)

_PROMPT_OPEN = "Rate the response below.\n\n<user_prompt>\n"
_SEPARATOR = "\n</user_prompt>\n\n<response>\n"
_RESPONSE_CLOSE = "\n</response>\n\nReply with JSON only: {\"score\": <number 0-100>}"

_FENCE = re.compile(r"^```(?:json)?\s*(.*?)\s*```$", re.DOTALL)
_OBJECT = re.compile(r"\{[^{}]*\}")


class ScoringPromptError(CJEError):
    """A prompt/response pair cannot be framed unambiguously, or messages are
    not a scoring request made by :func:`scoring_messages`."""


class ScoreParseError(CJEError):
    """A scorer's reply holds no usable score: not JSON, no ``score`` field,
    not a number, or outside 0-100. ``content`` is the reply (cut to 200
    characters)."""

    def __init__(self, reason: str, content: str) -> None:
        self.reason = reason
        self.content = content[:200]
        super().__init__(f"{reason}: {self.content!r}")


def scoring_messages(prompt: str, response: str) -> list[dict[str, str]]:
    """The chat messages asking a scorer to rate ``response`` to ``prompt``."""
    user = _PROMPT_OPEN + prompt + _SEPARATOR + response + _RESPONSE_CLOSE
    # The framing is read back by splitting at the first separator; a text that
    # contains the separator itself could be misread, so refuse it here.
    if _split_user_message(user) != (prompt, response):
        raise ScoringPromptError("the prompt or response contains the scoring prompt's delimiters")
    return [
        {"role": "system", "content": SCORING_SYSTEM_PROMPT},
        {"role": "user", "content": user},
    ]


def parse_scoring_messages(messages: list[dict[str, object]]) -> tuple[str, str]:
    """The (prompt, response) that :func:`scoring_messages` framed into ``messages``."""
    users = [m for m in messages if isinstance(m, dict) and m.get("role") == "user"]
    if len(users) != 1:
        raise ScoringPromptError(f"expected one user message, got {len(users)}")
    content = users[0].get("content")
    if not isinstance(content, str):
        raise ScoringPromptError("the user message's content is not a string")
    parsed = _split_user_message(content)
    if parsed is None:
        raise ScoringPromptError("the user message is not framed by cje.scoring_prompt")
    return parsed


def _split_user_message(content: str) -> tuple[str, str] | None:
    if len(content) < len(_PROMPT_OPEN) + len(_RESPONSE_CLOSE):
        return None
    if not (content.startswith(_PROMPT_OPEN) and content.endswith(_RESPONSE_CLOSE)):
        return None
    middle = content[len(_PROMPT_OPEN): len(content) - len(_RESPONSE_CLOSE)]
    prompt, separator, response = middle.partition(_SEPARATOR)
    if not separator:
        return None
    return prompt, response


def parse_score(content: str) -> float:
    """The score in a scorer's reply, divided by 100 (so on [0, 1]).

    Accepts the bare JSON object, the object inside a Markdown code fence, or
    the first ``{...}`` object holding a ``score`` in surrounding prose; the
    score may be a number or a numeric string.
    """
    obj = _find_score_object(content)
    if obj is None:
        raise ScoreParseError("no JSON object with a 'score' field", content)
    value = obj["score"]
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise ScoreParseError("the score is not a number", content)
    try:
        score = float(value)
    except ValueError:
        raise ScoreParseError("the score is not a number", content) from None
    if not math.isfinite(score) or not 0.0 <= score <= 100.0:
        raise ScoreParseError("the score is outside 0-100", content)
    return score / 100.0


def _find_score_object(content: str) -> dict[str, object] | None:
    text = content.strip()
    fenced = _FENCE.match(text)
    if fenced:
        text = fenced.group(1)
    for candidate in (text, *_OBJECT.findall(text)):
        try:
            obj = json.loads(candidate)
        except json.JSONDecodeError:
            continue
        if isinstance(obj, dict) and "score" in obj:
            return obj
    return None
