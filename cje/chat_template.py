"""Chat templates: how a (system, user, assistant) conversation becomes the raw
text a completions endpoint scores, and back.

Teacher-forced log-probabilities are computed by rendering the conversation
with the policy model's own chat template, sending it to a completions endpoint
with ``echo`` and summing the log-probabilities of the assistant's tokens. So
the renderer must say exactly where the assistant text starts and where its
end-of-turn token ends; :class:`RenderedChat` holds those two character offsets.

Templates are looked up by name (``policy_config.Role.chat_template``);
``"llama3"`` is built in and :func:`register_chat_template` adds others.
Only single-turn conversations are supported: an optional system message, one
user message and one assistant message.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from cje.errors import CJEError


class ChatTemplateError(CJEError):
    """A conversation cannot be rendered, or a text is not a rendered chat."""


class UnknownChatTemplateError(ChatTemplateError):
    """No chat template is registered under the requested name."""


@dataclass(frozen=True)
class RenderedChat:
    """A rendered conversation.

    ``text[assistant_start:assistant_end]`` is the assistant text followed by
    its end-of-turn token; ``text[:assistant_start]`` is the generation prompt
    (everything a model sees before it starts answering).
    """

    text: str
    assistant_start: int
    assistant_end: int

    @property
    def prefix(self) -> str:
        """The text before the assistant's first character."""
        return self.text[: self.assistant_start]


@dataclass(frozen=True)
class ParsedChat:
    """A conversation recovered from a rendered text.

    ``assistant_end`` is the offset just after the assistant's end-of-turn
    token, or None when the text stops inside the assistant turn (a generation
    prompt, or an assistant text without its end-of-turn token).
    """

    system: str | None
    user: str
    assistant: str
    assistant_start: int
    assistant_end: int | None


class ChatTemplate(Protocol):
    """What every chat template provides."""

    name: str
    end_of_turn: str

    def render(self, system: str | None, user: str, assistant: str) -> RenderedChat: ...

    def parse(self, text: str) -> ParsedChat: ...


class Llama3Template:
    """The Llama 3 / 3.1 / 3.3 instruct format, single turn."""

    name = "llama3"
    begin = "<|begin_of_text|>"
    start_header = "<|start_header_id|>"
    end_header = "<|end_header_id|>"
    end_of_turn = "<|eot_id|>"

    @property
    def special_tokens(self) -> tuple[str, ...]:
        return (self.begin, self.start_header, self.end_header, self.end_of_turn)

    def header(self, role: str) -> str:
        return f"{self.start_header}{role}{self.end_header}\n\n"

    def render(self, system: str | None, user: str, assistant: str) -> RenderedChat:
        for role, content in (("system", system), ("user", user), ("assistant", assistant)):
            self._check_content(role, content)
        parts = [self.begin]
        if system is not None:
            parts.append(self.header("system") + system + self.end_of_turn)
        parts.append(self.header("user") + user + self.end_of_turn)
        parts.append(self.header("assistant"))
        start = sum(len(p) for p in parts)
        text = "".join(parts) + assistant + self.end_of_turn
        return RenderedChat(text=text, assistant_start=start, assistant_end=len(text))

    def _check_content(self, role: str, content: str | None) -> None:
        # A special token inside a message would make the rendered text ambiguous:
        # the parser (and a real tokenizer) would read it as structure.
        if content is None:
            return
        for token in self.special_tokens:
            if token in content:
                raise ChatTemplateError(f"the {role} message contains the special token {token}")

    def parse(self, text: str) -> ParsedChat:
        if not text.startswith(self.begin):
            raise ChatTemplateError(f"a {self.name} chat starts with {self.begin}")
        position = len(self.begin)
        system = None
        if text.startswith(self.header("system"), position):
            system, position = self._read_turn(text, position, "system")
        user, position = self._read_turn(text, position, "user")
        if not text.startswith(self.header("assistant"), position):
            raise ChatTemplateError("expected the assistant header after the user turn")
        start = position + len(self.header("assistant"))
        eot = text.find(self.end_of_turn, start)
        if eot < 0:
            self._check_parsed("assistant", text[start:])
            return ParsedChat(system, user, text[start:], start, None)
        end = eot + len(self.end_of_turn)
        if end != len(text):
            raise ChatTemplateError("text continues after the assistant's end-of-turn token")
        self._check_parsed("assistant", text[start:eot])
        return ParsedChat(system, user, text[start:eot], start, end)

    def _read_turn(self, text: str, position: int, role: str) -> tuple[str, int]:
        header = self.header(role)
        if not text.startswith(header, position):
            raise ChatTemplateError(f"expected the {role} header at offset {position}")
        start = position + len(header)
        eot = text.find(self.end_of_turn, start)
        if eot < 0:
            raise ChatTemplateError(f"the {role} turn has no end-of-turn token")
        content = text[start:eot]
        self._check_parsed(role, content)
        return content, eot + len(self.end_of_turn)

    def _check_parsed(self, role: str, content: str) -> None:
        try:
            self._check_content(role, content)
        except ChatTemplateError as error:
            raise ChatTemplateError(f"malformed {self.name} chat: {error}") from None


_TEMPLATES: dict[str, ChatTemplate] = {"llama3": Llama3Template()}


def register_chat_template(template: ChatTemplate, *, replace: bool = False) -> None:
    """Make ``template`` available under ``template.name``."""
    if template.name in _TEMPLATES and not replace:
        raise ChatTemplateError(f"a chat template named {template.name!r} is already registered")
    _TEMPLATES[template.name] = template


def chat_template_names() -> tuple[str, ...]:
    """Names of the registered templates, sorted."""
    return tuple(sorted(_TEMPLATES))


def get_chat_template(name: str) -> ChatTemplate:
    """The template registered under ``name``."""
    try:
        return _TEMPLATES[name]
    except KeyError:
        raise UnknownChatTemplateError(
            f"unknown chat template {name!r}; known: {', '.join(chat_template_names())}"
        ) from None


def render_chat(
    system: str | None, user: str, assistant: str, *, template: str = "llama3"
) -> RenderedChat:
    """Render one single-turn conversation; ``system=None`` omits the system turn."""
    return get_chat_template(template).render(system, user, assistant)


def parse_chat(text: str, *, template: str = "llama3") -> ParsedChat:
    """Recover the conversation from a text rendered by ``template``."""
    return get_chat_template(template).parse(text)
