"""The OpenAI wire format: error bodies and response objects.

Only the shapes live here; what goes into them is decided elsewhere.
"""

from __future__ import annotations

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
