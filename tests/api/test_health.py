"""The circuit breaker and the pre-flight check, against real local servers."""

from __future__ import annotations

import dataclasses
import socket

import pytest

from cje.api.client import chat, make_client
from cje.api.endpoints import Endpoint, Secret
from cje.api.errors import EndpointUnusable, RequestFailed
from cje.api.health import BREAKER_THRESHOLD, CircuitBreaker, Probe, preflight
from cje.simulator import run_simulator
from tests.api.api_helpers import TEST_KEY, client_for, endpoint_for, policy
from tests.api.fault_server import error, ok
from tests.pipeline.helpers import schedule, sim_config

MESSAGES = [{"role": "user", "content": "hi"}]


def guarded(server, sleep, **changes):
    endpoint = endpoint_for(server)
    breaker = CircuitBreaker(endpoint)
    return client_for(server), dataclasses.replace(policy(sleep, **changes), observer=breaker), breaker


def ask(client, retry):
    return chat(client, model="test-model", messages=MESSAGES, temperature=0.0, max_tokens=5, retry=retry)


def test_the_breaker_trips_after_a_run_of_one_hard_cause_and_sends_nothing_more(server, sleep):
    server.script(*[error(401, code="invalid_api_key", message="bad key {auth}")] * 10)
    client, retry, breaker = guarded(server, sleep)
    for _ in range(BREAKER_THRESHOLD):
        with pytest.raises(RequestFailed):
            ask(client, retry)
    with pytest.raises(EndpointUnusable) as caught:
        ask(client, retry)
    assert len(server.requests) == BREAKER_THRESHOLD
    message = str(caught.value)
    assert server.base_url in message and "HTTP 401" in message and "$TEST_KEY" in message
    assert TEST_KEY not in message and breaker.tripped == message


def test_a_success_or_a_transient_fault_resets_the_run(server, sleep):
    hard = error(404, code="model_not_found")
    server.script(*[hard] * 4, ok(), *[hard] * 4, error(503), *[hard] * 4)
    client, retry, breaker = guarded(server, sleep, max_attempts=1)
    outcomes = []
    for _ in range(14):
        try:
            ask(client, retry)
            outcomes.append("ok")
        except RequestFailed as failure:
            outcomes.append(str(failure.status_code))
    assert breaker.tripped is None and outcomes.count("ok") == 1


def test_retried_refusals_count_attempt_by_attempt(sleep):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    endpoint = Endpoint("base", "m", f"http://127.0.0.1:{port}/v1", "TEST_KEY", Secret(TEST_KEY), 0.7, None, "llama3")
    client = make_client(endpoint, timeout=2.0)
    retry = dataclasses.replace(policy(sleep, max_attempts=5), observer=CircuitBreaker(endpoint))
    with pytest.raises(RequestFailed):
        chat(client, model="m", messages=MESSAGES, temperature=0.0, max_tokens=5, retry=retry)
    with pytest.raises(EndpointUnusable, match="connection refused"):
        chat(client, model="m", messages=MESSAGES, temperature=0.0, max_tokens=5, retry=retry)


@pytest.fixture(scope="module")
def sim():
    with run_simulator(sim_config()) as running:
        yield running


def probe_of(base_url: str) -> Probe:
    endpoint = Endpoint("judge", "gpt-4.1-nano", base_url, "CJE_API_KEY", Secret(TEST_KEY), 0.0, None, "llama3")
    return Probe(endpoint, make_client(endpoint, timeout=5.0), ("judge",))


def test_preflight_passes_a_working_endpoint_and_one_without_a_models_list(sim):
    assert preflight([probe_of(sim.base_url)]) == []
    schedule(sim, [{"kind": "404", "path": "/v1/models"}])  # no /models: a one-token chat decides
    assert preflight([probe_of(sim.base_url)]) == []


def test_preflight_warns_about_a_flaky_endpoint_and_goes_on(sim):
    schedule(sim, [{"kind": "503", "path": "/v1/models", "count": 3}])
    waits: list[float] = []
    warnings = preflight([probe_of(sim.base_url)], sleep=waits.append)
    assert len(warnings) == 1 and "503" in warnings[0] and waits == [0.5, 1.0, 2.0]


def test_preflight_stops_on_a_hard_cause_without_retrying(sim):
    schedule(sim, [{"kind": "quota", "path": "/v1/models"}])
    with pytest.raises(EndpointUnusable) as caught:
        preflight([probe_of(sim.base_url)], sleep=lambda s: pytest.fail("a hard cause was retried"))
    assert "insufficient_quota" in str(caught.value) and "credit" in str(caught.value)
    assert TEST_KEY not in str(caught.value)
