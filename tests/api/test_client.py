"""chat and echo_logprobs against a real HTTP server: request shape, parsing, fallback."""

from __future__ import annotations

from itertools import accumulate

import openai
import pytest

from cje.api.client import ChatResult, EchoResult, Usage, chat, drop_generated, echo_logprobs, parse_chat, parse_echo
from cje.api.errors import MalformedResponse, RequestFailed
from tests.api.api_helpers import RecordingSleep, client_for, policy
from tests.api.fault_server import GENERATED, FaultServer, error, ok, prompt_tokens, raw

PROMPT = "<|user|> What is 2+2?<|assistant|> Four.<|eot|>"


def test_chat_sends_the_request_and_returns_a_typed_result(server: FaultServer, sleep: RecordingSleep) -> None:
    messages = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "hello"}]
    result = chat(client_for(server), model="policy-model", messages=messages, temperature=0.7,
                  max_tokens=32, retry=policy(sleep), response_format={"type": "json_object"})
    assert result == ChatResult(text="echo: hello", finish_reason="stop", usage=Usage(7, 3, 10), model="policy-model")
    [seen] = server.requests
    assert seen.path == "/v1/chat/completions"
    assert seen.body == {"model": "policy-model", "messages": messages, "temperature": 0.7, "max_tokens": 32,
                         "response_format": {"type": "json_object"}}


def test_chat_can_send_max_completion_tokens(server: FaultServer, sleep: RecordingSleep) -> None:
    chat(client_for(server), model="gpt-5", messages=[{"role": "user", "content": "x"}], temperature=1.0,
         max_tokens=64, retry=policy(sleep), token_limit_param="max_completion_tokens")
    body = server.requests[0].body
    assert body["max_completion_tokens"] == 64
    assert "max_tokens" not in body and "response_format" not in body


def test_client_has_sdk_retries_off(server: FaultServer) -> None:
    client = client_for(server)
    server.script(error(500))
    with pytest.raises(openai.InternalServerError):
        client.chat.completions.create(model="m", messages=[{"role": "user", "content": "x"}])
    assert client.max_retries == 0
    assert len(server.requests) == 1


def test_echo_returns_the_prompt_token_logprobs(server: FaultServer, sleep: RecordingSleep) -> None:
    result = echo_logprobs(client_for(server), model="m", prompt=PROMPT, temperature=0.7, retry=policy(sleep))
    tokens = prompt_tokens(PROMPT)
    assert result.text == PROMPT
    assert result.tokens == tuple(tokens)
    assert result.token_logprobs[0] is None
    assert result.token_logprobs[1:] == pytest.approx([-0.1 * i for i in range(1, len(tokens))])
    assert result.text_offset == tuple(accumulate([0] + [len(t) for t in tokens[:-1]]))
    assert result.max_tokens == 0
    [seen] = server.requests
    assert seen.path == "/v1/completions"
    assert seen.body == {"model": "m", "prompt": PROMPT, "echo": True, "logprobs": 1, "max_tokens": 0,
                         "temperature": 0.7}


def test_echo_falls_back_to_one_token_once_and_drops_it(sleep: RecordingSleep) -> None:
    with FaultServer(reject_zero_max_tokens=True) as server:
        result = echo_logprobs(client_for(server), model="m", prompt=PROMPT, temperature=0.7, retry=policy(sleep))
        assert [r.body["max_tokens"] for r in server.requests] == [0, 1]
    assert result.max_tokens == 1
    assert result.text == PROMPT
    assert result.tokens == tuple(prompt_tokens(PROMPT))
    assert GENERATED not in result.tokens
    assert sleep.delays == []  # a 400 is not retried, the fallback is immediate


def test_echo_asked_for_one_token_sends_one_request(server: FaultServer, sleep: RecordingSleep) -> None:
    result = echo_logprobs(client_for(server), model="m", prompt=PROMPT, temperature=0.0, retry=policy(sleep),
                           max_tokens=1)
    assert [r.body["max_tokens"] for r in server.requests] == [1]
    assert result.tokens == tuple(prompt_tokens(PROMPT))


def test_echo_fallback_that_also_fails_reports_the_second_failure(sleep: RecordingSleep) -> None:
    with FaultServer(reject_zero_max_tokens=True) as server:
        server.script(ok(), error(400, code="context_length_exceeded"))
        with pytest.raises(RequestFailed) as caught:
            echo_logprobs(client_for(server), model="m", prompt=PROMPT, temperature=0.0, retry=policy(sleep))
        assert len(server.requests) == 2
    assert (caught.value.status_code, caught.value.provider_code) == (400, "context_length_exceeded")


@pytest.mark.parametrize("status", [401, 404, 429])
def test_echo_does_not_fall_back_on_other_failures(server: FaultServer, sleep: RecordingSleep, status: int) -> None:
    server.script(error(status, code="insufficient_quota" if status == 429 else None))
    with pytest.raises(RequestFailed):
        echo_logprobs(client_for(server), model="m", prompt=PROMPT, temperature=0.0, retry=policy(sleep))
    assert len(server.requests) == 1


def test_echo_with_mismatched_lists_is_malformed_and_retried(server: FaultServer, sleep: RecordingSleep) -> None:
    bad = (b'{"choices": [{"text": "a b", "logprobs": '
           b'{"tokens": ["a", " b"], "token_logprobs": [null], "text_offset": [0, 1]}}]}')
    server.script(raw(bad))
    result = echo_logprobs(client_for(server), model="m", prompt="a b", temperature=0.0, retry=policy(sleep))
    assert len(server.requests) == 2
    assert result.tokens == ("a", " b")


CHAT_BODIES = [
    ({}, "body.choices"),
    ({"choices": []}, "empty"),
    ({"choices": ["x"]}, "empty"),
    ({"choices": [{"finish_reason": "stop"}]}, "choices\\[0\\].message"),
    ({"choices": [{"message": {"content": 3}}]}, "content: expected str, found int"),
    ({"choices": [{"message": {"content": "ok"}, "finish_reason": 1}]}, "finish_reason"),
]


@pytest.mark.parametrize(("body", "match"), CHAT_BODIES)
def test_parse_chat_rejects_malformed_bodies(body: dict, match: str) -> None:
    with pytest.raises(MalformedResponse, match=match):
        parse_chat(body, requested_model="m")


def test_parse_chat_tolerates_missing_usage_and_model() -> None:
    result = parse_chat({"choices": [{"message": {"content": "hi"}}]}, requested_model="asked")
    assert result == ChatResult(text="hi", finish_reason=None, usage=None, model="asked")


def _echo_body(tokens: list, values: list, offsets: list) -> dict:
    logprobs = {"tokens": tokens, "token_logprobs": values, "text_offset": offsets}
    return {"choices": [{"text": "".join(t for t in tokens if isinstance(t, str)), "logprobs": logprobs}]}


ECHO_BODIES = [
    (_echo_body(["a"], [None, -1.0], [0]), "differ in length"),
    (_echo_body(["a", 2], [None, -1.0], [0, 1]), "non-string"),
    (_echo_body(["a", "b"], [None, "x"], [0, 1]), "non-number"),
    (_echo_body(["a", "b"], [None, True], [0, 1]), "non-number"),
    (_echo_body(["a", "b"], [None, -1.0], [0, 1.5]), "non-integer"),
    ({"choices": [{"text": "a"}]}, "logprobs"),
]


@pytest.mark.parametrize(("body", "match"), ECHO_BODIES)
def test_parse_echo_rejects_malformed_bodies(body: dict, match: str) -> None:
    with pytest.raises(MalformedResponse, match=match):
        parse_echo(body, requested_model="m", max_tokens=0)


def test_drop_generated_cuts_tokens_starting_at_or_after_the_prompt_end() -> None:
    echo = EchoResult(text="ab cd<eos>", tokens=("ab", " cd", "<eos>"), token_logprobs=(None, -1.0, -2.0),
                      text_offset=(0, 2, 5), max_tokens=1, model="m")
    kept = drop_generated(echo, prompt_chars=5)
    assert (kept.text, kept.tokens) == ("ab cd", ("ab", " cd"))
    assert (kept.token_logprobs, kept.text_offset) == ((None, -1.0), (0, 2))
    empty_token = EchoResult(text="ab", tokens=("ab", ""), token_logprobs=(None, -0.5), text_offset=(0, 2),
                             max_tokens=1, model="m")
    assert drop_generated(empty_token, prompt_chars=2).tokens == ("ab",)


def test_drop_generated_refuses_unordered_offsets() -> None:
    echo = EchoResult(text="abc", tokens=("a", "b", "c"), token_logprobs=(None, -1.0, -1.0), text_offset=(0, 2, 1),
                      max_tokens=1, model="m")
    with pytest.raises(MalformedResponse, match="increasing"):
        drop_generated(echo, prompt_chars=3)
