"""Fault injection: each kind does what it says, scheduled faults apply to
exactly N requests, and a failed request leaves no trace in the world."""

from __future__ import annotations

import http.client
import json
import socket
import time

import openai
import pytest

from cje.scoring_prompt import ScoreParseError, parse_score, scoring_messages
from cje.simulator import FaultConfig, run_simulator

from .helpers import BASE, JUDGE, ORACLE, PROMPTS, chat_body, make_config, raw_request

CHAT = "/v1/chat/completions"


def schedule(sim, faults):
    status, _, reply = raw_request(sim, "POST", "/v1/simulator/faults", faults)
    assert status == 200, reply
    return reply


def stats(sim):
    return raw_request(sim, "GET", "/v1/simulator/stats")[2]


@pytest.fixture()
def sim(fresh_sim):
    """Fault tests each get a server of their own."""
    return fresh_sim


def test_scheduled_429_carries_retry_after_then_clears(sim):
    schedule(sim, [{"kind": "429", "retry_after": 0.25}])
    status, headers, body = raw_request(sim, "POST", CHAT, chat_body(PROMPTS[0]))
    assert status == 429 and body["error"]["code"] == "rate_limit_exceeded"
    assert float(headers["Retry-After"]) == 0.25 and float(headers["retry-after-ms"]) == 250
    assert raw_request(sim, "POST", CHAT, chat_body(PROMPTS[0]))[0] == 200


@pytest.mark.parametrize("status", [500, 502, 503, 400, 404, 408])
def test_scheduled_status_faults(sim, status):
    schedule(sim, [{"kind": str(status)}])
    got, headers, body = raw_request(sim, "POST", CHAT, chat_body(PROMPTS[0]))
    assert got == status and "error" in body and "Retry-After" not in headers


def test_exactly_n_scheduled_faults_apply_in_order(sim):
    reply = schedule(sim, [{"kind": "429", "retry_after": 0.01}, {"kind": "500"}, {"kind": "503", "count": 2}])
    assert reply == {"scheduled": 4, "pending": 4}
    statuses = [raw_request(sim, "POST", CHAT, chat_body(PROMPTS[1]))[0] for _ in range(6)]
    assert statuses == [429, 500, 503, 503, 200, 200]
    counts = stats(sim)
    assert counts["requests"] == 6 and counts["pending_faults"] == 0
    assert counts["by_fault"] == {"429": 1, "500": 1, "503": 2}
    assert counts["by_status"] == {"429": 1, "500": 1, "503": 2, "200": 2}


def test_the_official_client_retries_through_scheduled_faults(sim):
    schedule(sim, [{"kind": "429", "retry_after": 0.01}, {"kind": "502"}])
    client = openai.OpenAI(base_url=sim.base_url, api_key="x", max_retries=2)
    response = client.chat.completions.create(model=BASE.model, messages=chat_body(PROMPTS[0])["messages"])
    assert response.choices[0].message.content
    assert stats(sim)["by_path"] == {CHAT: 3}


def test_faults_filter_by_model_and_path(sim):
    schedule(sim, [{"kind": "500", "model": JUDGE}, {"kind": "503", "path": "/v1/completions"}])
    assert raw_request(sim, "POST", CHAT, chat_body(PROMPTS[0]))[0] == 200
    judge = {"model": JUDGE, "messages": scoring_messages(PROMPTS[0], "An answer.")}
    assert raw_request(sim, "POST", CHAT, judge)[0] == 500
    assert raw_request(sim, "POST", CHAT, judge)[0] == 200
    assert stats(sim)["pending_faults"] == 1
    status, _, _ = raw_request(sim, "POST", "/v1/completions", {"model": BASE.model, "prompt": "x", "max_tokens": 0})
    assert status == 503


def test_dropped_connection_sends_nothing(sim):
    schedule(sim, [{"kind": "drop"}])
    connection = http.client.HTTPConnection(sim.host, sim.port, timeout=5)
    connection.request("POST", CHAT, json.dumps(chat_body(PROMPTS[0])), {"Content-Type": "application/json"})
    with pytest.raises(http.client.RemoteDisconnected):
        connection.getresponse()
    connection.close()
    assert stats(sim)["by_fault"] == {"drop": 1} and stats(sim)["by_status"] == {}


def test_truncated_body_is_cut_short_of_its_content_length(sim):
    schedule(sim, [{"kind": "truncate"}])
    body = json.dumps(chat_body(PROMPTS[0])).encode()
    request = (f"POST {CHAT} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
               f"Content-Length: {len(body)}\r\n\r\n").encode() + body
    with socket.create_connection((sim.host, sim.port), timeout=5) as raw:
        raw.sendall(request)
        received = b""
        while chunk := raw.recv(65536):
            received += chunk
    head, _, payload = received.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200")
    lines = head.split(b"\r\n")
    declared = int(next(line.split(b":")[1] for line in lines if line.lower().startswith(b"content-length")))
    assert 0 < len(payload) < declared
    with pytest.raises(json.JSONDecodeError):
        json.loads(payload)


def test_slow_fault_delays_then_answers(sim):
    schedule(sim, [{"kind": "slow", "delay_ms": 300}])
    start = time.perf_counter()
    status, _, _ = raw_request(sim, "POST", CHAT, chat_body(PROMPTS[0]))
    assert status == 200 and time.perf_counter() - start >= 0.3
    schedule(sim, [{"kind": "slow", "delay_ms": 1500}])
    with pytest.raises(TimeoutError):
        raw_request(sim, "POST", CHAT, chat_body(PROMPTS[0]), timeout=0.2)


def test_bad_judge_reply_waits_for_a_scorer_request(sim):
    schedule(sim, [{"kind": "bad_judge"}])
    assert raw_request(sim, "POST", CHAT, chat_body(PROMPTS[0]))[0] == 200
    body = {"model": ORACLE, "messages": scoring_messages(PROMPTS[0], "An answer."),
            "response_format": {"type": "json_object"}}
    status, _, reply = raw_request(sim, "POST", CHAT, body)
    assert status == 200
    with pytest.raises(ScoreParseError):
        parse_score(reply["choices"][0]["message"]["content"])
    status, _, reply = raw_request(sim, "POST", CHAT, body)
    assert 0.0 <= parse_score(reply["choices"][0]["message"]["content"]) <= 1.0


def test_failed_requests_have_no_side_effects(sim):
    """After faults, an unseeded request gets the same draw a first request gets."""
    with run_simulator(make_config()) as clean:
        expected = raw_request(clean, "POST", CHAT, chat_body(PROMPTS[2]))[2]["choices"][0]["message"]
    schedule(sim, [{"kind": "429", "retry_after": 0}, {"kind": "500"}, {"kind": "drop"}, {"kind": "truncate"}])
    for _ in range(2):
        assert raw_request(sim, "POST", CHAT, chat_body(PROMPTS[2]))[0] in (429, 500)
    for _ in range(2):
        with pytest.raises((http.client.RemoteDisconnected, http.client.IncompleteRead)):
            raw_request(sim, "POST", CHAT, chat_body(PROMPTS[2]))
    got = raw_request(sim, "POST", CHAT, chat_body(PROMPTS[2]))[2]["choices"][0]["message"]
    assert got == expected
    assert raw_request(sim, "GET", "/v1/simulator/truth")[2]["n_prompts_served"] == 1


def test_reset_clears_counts_and_pending_faults(sim):
    schedule(sim, [{"kind": "500", "count": 3}])
    raw_request(sim, "POST", CHAT, chat_body(PROMPTS[0]))
    assert stats(sim)["requests"] == 1
    assert raw_request(sim, "POST", "/v1/simulator/reset")[2] == {"reset": True}
    assert stats(sim) == {"requests": 0, "by_path": {}, "by_model": {}, "by_fault": {}, "by_status": {},
                          "pending_faults": 0}
    assert raw_request(sim, "POST", CHAT, chat_body(PROMPTS[0]))[0] == 200


@pytest.mark.parametrize(
    "faults",
    [{"kind": "teapot"}, [{"kind": "200"}], [{"kind": "429", "retry_after": -1}], [{"kind": "500", "count": 0}],
     [{"kind": "500", "colour": "red"}]],
)
def test_bad_fault_specs_are_refused(sim, faults):
    status, _, reply = raw_request(sim, "POST", "/v1/simulator/faults", faults)
    assert status == 400 and reply["error"]["message"]
    assert stats(sim)["pending_faults"] == 0


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        (FaultConfig(rate_429=1.0, retry_after=2), 429),
        (FaultConfig(rate_5xx=1.0), (500, 502, 503)),
        (FaultConfig(require_api_key="sekrit"), 401),
        (FaultConfig(quota_exhausted=True), 429),
    ],
)
def test_configured_faults_hit_every_request(config, expected):
    with run_simulator(make_config(faults=config)) as sim:
        for _ in range(5):
            status, headers, body = raw_request(sim, "POST", CHAT, chat_body(PROMPTS[0]))
            assert status in (expected if isinstance(expected, tuple) else (expected,))
        if config.quota_exhausted:
            assert body["error"]["code"] == "insufficient_quota" and "Retry-After" not in headers
        elif status == 429:
            assert headers["Retry-After"] == "2"


def test_api_key_is_required_when_configured():
    with run_simulator(make_config(faults=FaultConfig(require_api_key="sekrit"))) as sim:
        bad = openai.OpenAI(base_url=sim.base_url, api_key="wrong", max_retries=0)
        with pytest.raises(openai.AuthenticationError):
            bad.models.list()
        good = openai.OpenAI(base_url=sim.base_url, api_key="sekrit", max_retries=0)
        assert len(list(good.models.list())) == 4


def test_quota_exhaustion_is_a_rate_limit_error_without_retry_after():
    with run_simulator(make_config(faults=FaultConfig(quota_exhausted=True))) as sim:
        client = openai.OpenAI(base_url=sim.base_url, api_key="x", max_retries=0)
        with pytest.raises(openai.RateLimitError) as caught:
            client.chat.completions.create(model=BASE.model, messages=chat_body(PROMPTS[0])["messages"])
        assert caught.value.code == "insufficient_quota"
        assert "retry-after" not in caught.value.response.headers


def test_random_fault_rates_are_seeded_and_roughly_right():
    config = FaultConfig(rate_429=0.2, retry_after=0, rate_5xx=0.2, rate_bad_judge=0.5, seed=7)

    def run() -> list[int]:
        with run_simulator(make_config(faults=config)) as sim:
            return [raw_request(sim, "GET", "/v1/models")[0] for _ in range(200)]

    first = run()
    assert first == run()
    share_429 = first.count(429) / 200
    share_5xx = sum(first.count(s) for s in (500, 502, 503)) / 200
    # bad_judge applies to scorer requests only, so model listings succeed.
    assert 0.1 < share_429 < 0.3 and 0.1 < share_5xx < 0.3 and first.count(200) > 100


def test_latency_is_applied_without_serialising_requests():
    from concurrent.futures import ThreadPoolExecutor

    with run_simulator(make_config(faults=FaultConfig(latency_ms=150, latency_jitter_ms=50))) as sim:
        start = time.perf_counter()
        with ThreadPoolExecutor(8) as pool:
            statuses = list(pool.map(lambda _: raw_request(sim, "GET", "/v1/models")[0], range(8)))
        elapsed = time.perf_counter() - start
    assert statuses == [200] * 8
    # Serialised, 8 requests would take at least 8 x 0.1 s; concurrent, about one latency.
    assert 0.1 <= elapsed < 0.8
