"""Chat templates: rendering, offsets, parsing back, and the registry."""

from __future__ import annotations

import pytest

from cje.chat_template import (
    ChatTemplateError,
    Llama3Template,
    ParsedChat,
    RenderedChat,
    UnknownChatTemplateError,
    chat_template_names,
    get_chat_template,
    parse_chat,
    register_chat_template,
    render_chat,
)

LLAMA3_EXAMPLE = (
    "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nBe brief.<|eot_id|>"
    "<|start_header_id|>user<|end_header_id|>\n\nHi?<|eot_id|>"
    "<|start_header_id|>assistant<|end_header_id|>\n\nHello!<|eot_id|>"
)


def test_llama3_rendering_matches_the_published_format():
    rendered = render_chat("Be brief.", "Hi?", "Hello!")
    assert rendered.text == LLAMA3_EXAMPLE
    assert rendered.text[rendered.assistant_start: rendered.assistant_end] == "Hello!<|eot_id|>"
    assert rendered.assistant_end == len(rendered.text)
    assert rendered.prefix.endswith("assistant<|end_header_id|>\n\n")


def test_no_system_prompt_omits_the_system_turn():
    rendered = render_chat(None, "Hi?", "")
    assert rendered.text == (
        "<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nHi?<|eot_id|>"
        "<|start_header_id|>assistant<|end_header_id|>\n\n<|eot_id|>"
    )
    assert rendered.assistant_end - rendered.assistant_start == len("<|eot_id|>")


@pytest.mark.parametrize(
    ("system", "user", "assistant"),
    [("Be brief.", "Hi?", "Hello!"), (None, "multi\nline\n\n", " spaced "), ("", "", ""),
     ("sys", "emoji 🌅 and <|not_special|>", "a <b> tag and | pipes")],
)
def test_parse_inverts_render(system, user, assistant):
    rendered = render_chat(system, user, assistant)
    parsed = parse_chat(rendered.text)
    assert parsed == ParsedChat(system, user, assistant, rendered.assistant_start, rendered.assistant_end)


def test_parse_reads_an_open_assistant_turn():
    rendered = render_chat("s", "u", "partial answer")
    prefix = parse_chat(rendered.prefix)
    assert (prefix.assistant, prefix.assistant_start, prefix.assistant_end) == ("", len(rendered.prefix), None)
    unfinished = parse_chat(rendered.text[: -len("<|eot_id|>")])
    assert unfinished.assistant == "partial answer" and unfinished.assistant_end is None


@pytest.mark.parametrize("role", ["system", "user", "assistant"])
@pytest.mark.parametrize("token", Llama3Template().special_tokens)
def test_special_tokens_in_messages_are_refused(role, token):
    parts = {"system": "s", "user": "u", "assistant": "a"}
    parts[role] = f"before {token} after"
    with pytest.raises(ChatTemplateError, match=role):
        render_chat(parts["system"], parts["user"], parts["assistant"])


@pytest.mark.parametrize(
    "text",
    [
        "",
        "plain text",
        LLAMA3_EXAMPLE[len("<|begin_of_text|>"):],
        LLAMA3_EXAMPLE + "more",
        LLAMA3_EXAMPLE.replace("<|start_header_id|>assistant", "<|start_header_id|>tool"),
        LLAMA3_EXAMPLE.replace("Hi?<|eot_id|>", "Hi?"),
        LLAMA3_EXAMPLE.replace("Hello!", "Hel<|start_header_id|>lo!"),
    ],
)
def test_malformed_texts_are_refused(text):
    with pytest.raises(ChatTemplateError):
        parse_chat(text)


def test_registry_names_and_unknown_templates():
    assert "llama3" in chat_template_names()
    with pytest.raises(UnknownChatTemplateError, match="llama3"):
        get_chat_template("chatml-v9")
    with pytest.raises(ChatTemplateError):
        register_chat_template(Llama3Template())


class _BracketTemplate:
    """A toy template: [S]system[U]user[A]assistant[E]."""

    name = "test-brackets"
    end_of_turn = "[E]"

    def render(self, system, user, assistant):
        head = f"[S]{system or ''}[U]{user}[A]"
        text = head + assistant + self.end_of_turn
        return RenderedChat(text, len(head), len(text))

    def parse(self, text):
        head, _, rest = text.partition("[A]")
        system, _, user = head[3:].partition("[U]")
        assistant = rest.removesuffix(self.end_of_turn)
        return ParsedChat(system or None, user, assistant, len(head) + 3, len(text))


def test_other_templates_can_be_registered_and_selected_by_name():
    register_chat_template(_BracketTemplate(), replace=True)
    rendered = render_chat("s", "u", "a", template="test-brackets")
    assert rendered.text == "[S]s[U]u[A]a[E]" and rendered.text[rendered.assistant_start] == "a"
    assert parse_chat(rendered.text, template="test-brackets").user == "u"
    assert "test-brackets" in chat_template_names()
