"""The retry policy against a real HTTP server: exact attempt counts per fault."""

from __future__ import annotations

import logging
import random
import traceback
from email.utils import formatdate

import pytest

from cje.api.client import ChatResult, chat
from cje.api.errors import MalformedResponse, RequestFailed
from cje.api.retry import RetryPolicy, retry_after_seconds
from tests.api.api_helpers import TEST_KEY, RecordingSleep, client_for, policy
from tests.api.fault_server import FaultServer, Reply, drop, error, ok, raw, slow

NOW = 1_700_000_000.0
MESSAGES = [{"role": "user", "content": "hi"}]


def run_chat(server: FaultServer, retry: RetryPolicy, *, timeout: float = 5.0) -> ChatResult:
    return chat(client_for(server, timeout=timeout), model="m", messages=MESSAGES,
                temperature=0.0, max_tokens=16, retry=retry)


# (name, script, max_attempts, expected attempts)
RECOVERING = [
    ("429 twice", [error(429, headers={"Retry-After": "1"})] * 2, 5, 3),
    ("every retryable status", [error(s) for s in (408, 409, 429, 500, 502, 503, 504, 530)], 9, 9),
    ("dropped connection", [drop()], 5, 2),
    ("truncated JSON", [raw(b'{"choices": [{"message": {"cont')], 5, 2),
    ("JSON that is not an object", [raw(b"[1, 2]")], 5, 2),
    ("missing choices", [raw(b'{"model": "m"}')], 5, 2),
    ("null content", [raw(b'{"choices": [{"message": {"content": null}, "finish_reason": "stop"}]}')], 5, 2),
    ("rate limit whose text mentions quota",
     [error(429, code="rate_limit_exceeded", message="insufficient_quota? no: slow down")], 5, 2),
    ("success at the last attempt", [error(500)] * 4, 5, 5),
]


@pytest.mark.parametrize(("name", "script", "max_attempts", "attempts"), RECOVERING, ids=[c[0] for c in RECOVERING])
def test_transient_faults_are_retried_until_success(
    server: FaultServer, sleep: RecordingSleep, name: str, script: list[Reply], max_attempts: int, attempts: int
) -> None:
    server.script(*script)
    result = run_chat(server, policy(sleep, max_attempts=max_attempts))
    assert result.text == "echo: hi"
    assert len(server.requests) == attempts
    assert len(sleep.delays) == attempts - 1


# (name, script, expected status, expected provider code)
FINAL = [
    ("400", [error(400, code="invalid_request_error")], 400, "invalid_request_error"),
    ("401", [error(401, code="invalid_api_key")], 401, "invalid_api_key"),
    ("403", [error(403)], 403, None),
    ("404", [error(404, type="not_found")], 404, "not_found"),
    ("422", [error(422)], 422, None),
    ("quota by code", [error(429, code="insufficient_quota", headers={"Retry-After": "1"})], 429, "insufficient_quota"),
    ("quota by type", [error(429, type="insufficient_quota")], 429, "insufficient_quota"),
]


@pytest.mark.parametrize(("name", "script", "status", "code"), FINAL, ids=[c[0] for c in FINAL])
def test_permanent_faults_get_one_attempt(
    server: FaultServer, sleep: RecordingSleep, name: str, script: list[Reply], status: int, code: str | None
) -> None:
    server.script(*script)
    with pytest.raises(RequestFailed) as caught:
        run_chat(server, policy(sleep))
    failure = caught.value
    assert len(server.requests) == 1
    assert sleep.delays == []
    assert (failure.error_type, failure.attempts, failure.status_code, failure.provider_code) == (
        "non_retryable", 1, status, code)
    assert failure.error.startswith(f"HTTP {status}")
    assert failure.as_row() == {"error": failure.error, "error_type": "non_retryable",
                                "cause": f"HTTP {status}" + (f" {code}" if code else "")}


@pytest.mark.parametrize(
    ("fault", "error_start"),
    [(error(500, message="overloaded"), "HTTP 500: overloaded"), (drop(), "connection error:"),
     (raw(b"{"), "malformed response: invalid JSON")],
    ids=["500", "drop", "garbled"],
)
def test_retryable_faults_give_up_after_max_attempts(
    server: FaultServer, sleep: RecordingSleep, fault: Reply, error_start: str
) -> None:
    server.script(*[fault] * 5, ok())
    with pytest.raises(RequestFailed) as caught:
        run_chat(server, policy(sleep, max_attempts=5))
    assert len(server.requests) == 5
    assert len(sleep.delays) == 4
    assert caught.value.error_type == "retryable"
    assert caught.value.attempts == 5
    assert caught.value.error.startswith(error_start)


def test_max_attempts_one_means_no_retry(server: FaultServer, sleep: RecordingSleep) -> None:
    server.script(error(503))
    with pytest.raises(RequestFailed) as caught:
        run_chat(server, policy(sleep, max_attempts=1))
    assert len(server.requests) == 1
    assert caught.value.error_type == "retryable"


def test_timeout_is_retried(server: FaultServer, sleep: RecordingSleep) -> None:
    server.script(slow(1.5))
    result = run_chat(server, policy(sleep), timeout=0.3)
    assert result.text == "echo: hi"
    assert len(server.requests) == 2


def test_timeouts_until_max_attempts_are_a_retryable_failure(server: FaultServer, sleep: RecordingSleep) -> None:
    server.script(slow(1.5), slow(1.5))
    with pytest.raises(RequestFailed) as caught:
        run_chat(server, policy(sleep, max_attempts=2), timeout=0.2)
    assert len(server.requests) == 2
    assert (caught.value.error_type, caught.value.error) == ("retryable", "timeout: no reply within the client timeout")


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"Retry-After": "3"}, 3.0),
        ({"Retry-After": "0.25"}, 0.25),
        ({"retry-after-ms": "1500"}, 1.5),
        ({"retry-after-ms": "40", "Retry-After": "9"}, 0.04),
        ({"Retry-After": formatdate(NOW + 7, usegmt=True)}, 7.0),
        ({"Retry-After": formatdate(NOW - 30, usegmt=True)}, 0.0),
        ({"Retry-After": "100000"}, 120.0),  # capped at max_retry_after
    ],
    ids=["seconds", "fraction", "ms", "ms wins", "http-date", "date in the past", "capped"],
)
def test_retry_after_is_honoured(
    server: FaultServer, sleep: RecordingSleep, headers: dict[str, str], expected: float
) -> None:
    server.script(error(503, headers=headers))
    run_chat(server, policy(sleep, clock=NOW))
    assert len(server.requests) == 2
    assert sleep.delays == [pytest.approx(expected)]


def test_backoff_without_retry_after_is_capped_full_jitter(server: FaultServer, sleep: RecordingSleep) -> None:
    server.script(*[error(500)] * 6)
    retry = RetryPolicy(max_attempts=7, base_delay=1.0, max_delay=4.0, rng=random.Random(7), sleep=sleep)
    run_chat(server, retry)
    reference = random.Random(7)
    ceilings = [1.0, 2.0, 4.0, 4.0, 4.0, 4.0]
    assert sleep.delays == [reference.uniform(0.0, c) for c in ceilings]
    assert all(0.0 <= d <= c for d, c in zip(sleep.delays, ceilings, strict=True))


def test_unparseable_retry_after_falls_back_to_backoff() -> None:
    assert retry_after_seconds({"Retry-After": "soon"}, now=NOW) is None
    assert retry_after_seconds({"Retry-After": "-5"}, now=NOW) is None
    assert retry_after_seconds({}, now=NOW) is None


def test_the_key_never_reaches_errors_logs_or_tracebacks(
    server: FaultServer, sleep: RecordingSleep, caplog: pytest.LogCaptureFixture
) -> None:
    leaky = "Incorrect API key provided: {auth}"
    server.script(error(500, message=leaky), error(401, code="invalid_api_key", message=leaky))
    caplog.set_level(logging.DEBUG)
    with pytest.raises(RequestFailed) as caught:
        run_chat(server, policy(sleep))
    assert len(server.requests) == 2
    assert server.requests[0].authorization == f"Bearer {TEST_KEY}"  # the server did see it
    failure = caught.value
    texts = [failure.error, str(failure), repr(failure), "".join(traceback.format_exception(failure)), caplog.text]
    assert all(TEST_KEY not in text for text in texts)
    assert "Incorrect API key provided: ***" in failure.error
    assert "retrying" in caplog.text


def test_other_exceptions_propagate_without_retry(sleep: RecordingSleep) -> None:
    calls = []

    def broken() -> None:
        calls.append(1)
        raise KeyError("bug")

    with pytest.raises(KeyError):
        policy(sleep).call(broken)
    assert calls == [1]


def test_malformed_response_raised_by_the_caller_is_retried(sleep: RecordingSleep) -> None:
    outcomes = iter([MalformedResponse("missing score"), MalformedResponse("missing score"), "fine"])

    def attempt() -> str:
        outcome = next(outcomes)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    assert policy(sleep).call(attempt) == "fine"
    assert len(sleep.delays) == 2


@pytest.mark.parametrize("field", ["max_attempts", "base_delay", "max_delay", "max_retry_after"])
def test_invalid_policy_settings_are_refused(field: str) -> None:
    with pytest.raises(ValueError, match=field):
        RetryPolicy(**{field: -1})
