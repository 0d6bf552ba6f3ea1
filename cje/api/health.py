"""Is an endpoint usable at all? A pre-flight check before a run, and a circuit
breaker during it.

Some faults are transient (429 "slow down", 5xx, timeouts, a dropped
connection) and are the retry policy's business. Others say that no request to
this endpoint will succeed until the user does something: the connection is
refused (nothing listens there), the host name does not resolve, the key is
rejected (401) or not allowed (403), the path or model does not exist (404),
the quota is exhausted. Those are *hard* causes.

``preflight`` sends one cheap request per distinct endpoint (``GET /models``,
free) before any work, and stops at once on a hard cause. A provider without
``/models`` (a 404 there) gets a one-token chat with the role's model instead.

``CircuitBreaker`` watches every attempt to one (base URL, model): when the
last ``threshold`` attempts all failed with the same hard cause, it trips and
every further attempt raises ``EndpointUnusable`` at once, so a run stops in
seconds instead of grinding through every row.

Messages name the URL, the status, the provider's message and what to do -
which variable to set, which flag to pass - and never the key.
"""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from cje.api.endpoints import BASE_URL_ENV, MODEL_OVERRIDE_ENV, Endpoint
from cje.api.errors import EndpointUnusable
from cje.api.retry import describe, is_quota_exhausted, is_retryable

if TYPE_CHECKING:
    import openai  # imported where used: only a run that sends requests loads the SDK

logger = logging.getLogger(__name__)

BREAKER_THRESHOLD = 5
PREFLIGHT_TIMEOUT = 10.0
PREFLIGHT_ATTEMPTS = 3


@dataclass(frozen=True)
class HardCause:
    """A fault waiting cannot fix: a short ``name`` and what it means."""

    name: str
    meaning: str


def hard_cause(exc: BaseException) -> HardCause | None:
    """The hard cause behind ``exc``, or None when it may be transient."""
    import openai

    if isinstance(exc, openai.APIConnectionError) and not isinstance(exc, openai.APITimeoutError):
        if _in_chain(exc, ConnectionRefusedError):
            return HardCause("connection refused", "nothing is listening at that address")
        if _in_chain(exc, socket.gaierror):
            return HardCause("unknown host", "the host name does not resolve")
        return None
    if isinstance(exc, openai.APIStatusError):
        status = exc.status_code
        if status == 429 and is_quota_exhausted(exc):
            return HardCause("HTTP 429 insufficient_quota", "the account's quota or credit is used up")
        if status in (401, 403, 404):
            return HardCause(f"HTTP {status}", {401: "the API key was rejected",
                                                403: "the key may not use this model or endpoint",
                                                404: "the path or the model does not exist"}[status])
    return None


def _in_chain(exc: BaseException, kind: type[BaseException]) -> bool:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, kind):
            return True
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return False


def unusable_message(endpoint: Endpoint, cause: HardCause, detail: str, *, roles: Sequence[str] = ()) -> str:
    """One paragraph: which endpoint, what happened, what to do."""
    who = f"for {', '.join(roles)}" if roles else f"model {endpoint.model}, for {endpoint.role}"
    return (f"cannot use {endpoint.base_url} ({who}; key from ${endpoint.api_key_env}): {cause.name} - "
            f"{cause.meaning} ({detail}). What to do: {_advice(endpoint, cause)}")


def _advice(endpoint: Endpoint, cause: HardCause) -> str:
    key, url = f"${endpoint.api_key_env}", f"{BASE_URL_ENV} or the role's base_url in policy_config.py"
    if cause.name == "connection refused":
        return (f"start the server (the offline simulator: python -m cje.simulator --port 8000), "
                f"or point {url} at a running one.")
    if cause.name == "unknown host":
        return f"check the host name in {url}, and the network connection."
    if cause.name == "HTTP 401":
        return f"the key in {key} was rejected: set a valid key for {endpoint.base_url} in {key}."
    if cause.name == "HTTP 403":
        return f"check that the key in {key} may use model {endpoint.model} (plan, permissions, region)."
    if cause.name == "HTTP 404":
        model_env = MODEL_OVERRIDE_ENV.get(endpoint.role)
        where = "policy_config.py" + (f" or {model_env}" if model_env else "")
        return (f"check that the base URL ends in /v1 or the provider's API path ({url}), and that model "
                f"{endpoint.model!r} exists there ({where}).")
    return f"add credit to the account behind {key}, or use another key; waiting does not help."


class CircuitBreaker:
    """Trips after ``threshold`` consecutive attempts failed with one hard cause."""

    def __init__(self, endpoint: Endpoint, *, threshold: int = BREAKER_THRESHOLD) -> None:
        self.endpoint = endpoint
        self.threshold = threshold
        self._streak: tuple[str, int] = ("", 0)
        self._tripped: str | None = None
        self._lock = threading.Lock()

    @property
    def tripped(self) -> str | None:
        """The message of a tripped breaker, or None."""
        return self._tripped

    def before_attempt(self) -> None:
        if self._tripped is not None:
            raise EndpointUnusable(self._tripped)

    def after_failure(self, exc: BaseException) -> None:
        cause = hard_cause(exc)
        with self._lock:
            if cause is None:
                self._streak = ("", 0)
                return
            name, count = self._streak
            self._streak = (cause.name, count + 1 if name == cause.name else 1)
            if self._streak[1] >= self.threshold and self._tripped is None:
                described = describe(exc, redact=(self.endpoint.api_key.reveal(),))
                detail = f"{described} ({self._streak[1]} requests in a row)"
                self._tripped = unusable_message(self.endpoint, cause, detail)
                logger.info("circuit breaker tripped for %s: %s", self.endpoint.base_url, cause.name)

    def after_success(self) -> None:
        with self._lock:
            self._streak = ("", 0)


@dataclass(frozen=True)
class Probe:
    """One endpoint to check before a run: a client for it, and the roles it serves."""

    endpoint: Endpoint
    client: openai.OpenAI
    roles: tuple[str, ...]


def preflight(probes: Sequence[Probe], *, sleep: Callable[[float], None] = time.sleep) -> list[str]:
    """Check each endpoint with one cheap request; raise ``EndpointUnusable`` on a
    hard cause. Returns warnings (an endpoint that stayed flaky: the run's retry
    policy will deal with it)."""
    warnings = []
    for probe in probes:
        warning = _check(probe, sleep)
        if warning:
            warnings.append(warning)
    return warnings


def _check(probe: Probe, sleep: Callable[[float], None]) -> str | None:
    import openai

    client = probe.client.with_options(timeout=PREFLIGHT_TIMEOUT, max_retries=0)
    last: BaseException | None = None
    for attempt in range(PREFLIGHT_ATTEMPTS):
        try:
            _ask(client, probe.endpoint)
            return None
        except (openai.APIError, ValueError) as exc:
            last = exc
            cause = hard_cause(exc)
            if cause is not None:
                detail = describe(exc, redact=(probe.endpoint.api_key.reveal(),))
                raise EndpointUnusable(unusable_message(probe.endpoint, cause, detail, roles=probe.roles)) from None
            if not is_retryable(exc):
                return None  # e.g. a 400 to a probe the provider finds odd: not a reason to stop
            sleep(0.5 * 2**attempt)
    return f"{probe.endpoint.base_url}: {describe(last) if last else 'no answer'} on the pre-flight check; going on"


def _ask(client: openai.OpenAI, endpoint: Endpoint) -> None:
    """``GET /models``; where that path does not exist, a one-token chat."""
    import openai

    try:
        client.models.list()
    except openai.NotFoundError:
        client.chat.completions.create(model=endpoint.model, max_tokens=1,
                                       messages=[{"role": "user", "content": "ping"}])
