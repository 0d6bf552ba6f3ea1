"""The OpenAI wire format: request bodies read into typed requests (with
OpenAI-style 400s), error bodies and response objects.

Only the shapes live here; what goes into them is decided elsewhere. Fields
the simulator has no use for (``top_p``, ``user``, ``stop``...) are accepted
and ignored, as real providers do; fields whose meaning it cannot honour
(streaming, chat log-probs, token-array prompts) are refused.
"""

from __future__ import annotations

import json
import math
import time
import uuid
from dataclasses import dataclass, field


@dataclass(eq=False)
class ApiError(Exception):
    """An error reply: HTTP status plus OpenAI's ``{"error": {...}}`` body."""

    status: int
    message: str
    type: str = "invalid_request_error"
    code: str | None = None
    param: str | None = None
    headers: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        super().__init__(f"{self.status}: {self.message}")

    def body(self) -> dict[str, object]:
        return {
            "error": {"message": self.message, "type": self.type, "param": self.param, "code": self.code}
        }


def bad_request(message: str, param: str | None = None) -> ApiError:
    return ApiError(400, message, param=param)


def new_id(prefix: str) -> str:
    """A unique id such as ``chatcmpl-sim3f2a...`` (random: ids carry no meaning)."""
    return f"{prefix}-sim{uuid.uuid4().hex[:24]}"


def usage(prompt_tokens: int, completion_tokens: int) -> dict[str, int]:
    return {
        "prompt_tokens": prompt_tokens,
        "completion_tokens": completion_tokens,
        "total_tokens": prompt_tokens + completion_tokens,
    }


def chat_choice(index: int, content: str, finish_reason: str) -> dict[str, object]:
    return {
        "index": index,
        "message": {"role": "assistant", "content": content, "refusal": None},
        "logprobs": None,
        "finish_reason": finish_reason,
    }


def chat_completion(
    model: str, choices: list[dict[str, object]], prompt_tokens: int, completion_tokens: int
) -> dict[str, object]:
    return {
        "id": new_id("chatcmpl"),
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": choices,
        "usage": usage(prompt_tokens, completion_tokens),
        "system_fingerprint": "fp_cje_simulator",
    }


def text_completion(
    model: str, choices: list[dict[str, object]], prompt_tokens: int, completion_tokens: int
) -> dict[str, object]:
    return {
        "id": new_id("cmpl"),
        "object": "text_completion",
        "created": int(time.time()),
        "model": model,
        "choices": choices,
        "usage": usage(prompt_tokens, completion_tokens),
        "system_fingerprint": "fp_cje_simulator",
    }


def model_object(model: str) -> dict[str, object]:
    return {"id": model, "object": "model", "created": 0, "owned_by": "cje-simulator"}


def model_list(models: tuple[str, ...]) -> dict[str, object]:
    return {"object": "list", "data": [model_object(m) for m in models]}


# ---- requests ----------------------------------------------------------------


MAX_CHOICES = 16
RESPONSE_FORMATS = ("text", "json_object", "json_schema")


@dataclass(frozen=True)
class ChatRequest:
    """A chat completion request. ``system`` is None when there is no system
    message; ``user`` is the one user message; ``messages`` is kept for the
    scorers, which parse it themselves."""

    model: str
    messages: tuple[dict[str, object], ...]
    system: str | None
    user: str
    temperature: float | None
    max_tokens: int | None
    n: int
    seed: int | None
    response_format: str


@dataclass(frozen=True)
class CompletionRequest:
    """A legacy completion request, as used for teacher-forced log-probs."""

    model: str
    prompts: tuple[str, ...]
    echo: bool
    logprobs: int | None
    max_tokens: int
    temperature: float | None


def parse_json_body(body: bytes) -> dict[str, object]:
    """The request body as a JSON object."""
    try:
        value = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise bad_request(f"the request body is not valid JSON: {error}") from None
    if not isinstance(value, dict):
        raise bad_request("the request body must be a JSON object")
    return value


def parse_chat_request(body: dict[str, object]) -> ChatRequest:
    model = _string(body, "model")
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages or not all(isinstance(m, dict) for m in messages):
        raise bad_request("'messages' must be a non-empty list of objects", "messages")
    _refuse_true(body, "stream")
    _refuse_true(body, "logprobs")
    system, user = _system_and_user(messages)
    max_tokens = _optional_int(body, "max_completion_tokens", 1)
    if max_tokens is None:
        max_tokens = _optional_int(body, "max_tokens", 1)
    n = _optional_int(body, "n", 1)
    if n is not None and n > MAX_CHOICES:
        raise bad_request(f"'n' must be at most {MAX_CHOICES}", "n")
    return ChatRequest(
        model=model,
        messages=tuple(messages),
        system=system,
        user=user,
        temperature=_temperature(body),
        max_tokens=max_tokens,
        n=1 if n is None else n,
        seed=_optional_int(body, "seed", None),
        response_format=_response_format(body),
    )


def parse_completion_request(body: dict[str, object]) -> CompletionRequest:
    model = _string(body, "model")
    prompt = body.get("prompt")
    if isinstance(prompt, str):
        prompts: tuple[str, ...] = (prompt,)
    elif isinstance(prompt, list) and prompt and all(isinstance(p, str) for p in prompt):
        prompts = tuple(prompt)
    else:
        raise bad_request("'prompt' must be a string or a non-empty list of strings", "prompt")
    _refuse_true(body, "stream")
    echo = body.get("echo", False)
    if not isinstance(echo, bool):
        raise bad_request("'echo' must be a boolean", "echo")
    logprobs = _optional_int(body, "logprobs", 0)
    if logprobs is not None and logprobs > 5:
        raise bad_request("'logprobs' must be at most 5", "logprobs")
    max_tokens = _optional_int(body, "max_tokens", 0)
    # The simulator scores text; it does not write free text from a raw prompt.
    if max_tokens is None or max_tokens > 1:
        raise bad_request("the simulator's completions endpoint takes max_tokens 0 or 1", "max_tokens")
    return CompletionRequest(model, prompts, echo, logprobs, max_tokens, _temperature(body))


def _string(body: dict[str, object], name: str) -> str:
    value = body.get(name)
    if not isinstance(value, str) or not value:
        raise bad_request(f"'{name}' must be a non-empty string", name)
    return value


def _optional_int(body: dict[str, object], name: str, minimum: int | None) -> int | None:
    value = body.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise bad_request(f"'{name}' must be an integer", name)
    if minimum is not None and value < minimum:
        raise bad_request(f"'{name}' must be at least {minimum}", name)
    return value


def _temperature(body: dict[str, object]) -> float | None:
    value = body.get("temperature")
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise bad_request("'temperature' must be a number", "temperature")
    if not 0.0 <= value <= 2.0:
        raise bad_request("'temperature' must be between 0 and 2", "temperature")
    return float(value)


def _refuse_true(body: dict[str, object], name: str) -> None:
    if body.get(name):
        raise bad_request(f"the simulator does not support '{name}'", name)


def _response_format(body: dict[str, object]) -> str:
    value = body.get("response_format")
    if value is None:
        return "text"
    kind = value.get("type") if isinstance(value, dict) else None
    if kind not in RESPONSE_FORMATS:
        raise bad_request(f"'response_format.type' must be one of {RESPONSE_FORMATS}", "response_format")
    return str(kind)


def _system_and_user(messages: list[dict[str, object]]) -> tuple[str | None, str]:
    systems = [m for m in messages if m.get("role") in ("system", "developer")]
    users = [m for m in messages if m.get("role") == "user"]
    others = [m for m in messages if m.get("role") not in ("system", "developer", "user")]
    if others or len(users) != 1 or len(systems) > 1:
        raise bad_request(
            "the simulator takes single-turn chats: at most one system message and one user message",
            "messages",
        )
    system = _content(systems[0]) if systems else None
    return system, _content(users[0])


def _content(message: dict[str, object]) -> str:
    content = message.get("content")
    if isinstance(content, str):
        return content
    # The content-parts form: [{"type": "text", "text": "..."}, ...].
    if isinstance(content, list) and all(
        isinstance(p, dict) and p.get("type") == "text" and isinstance(p.get("text"), str) for p in content
    ):
        return "".join(str(p["text"]) for p in content)
    raise bad_request("message content must be a string or a list of text parts", "messages")
