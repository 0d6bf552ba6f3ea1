"""The one retry policy for every API call (the openai SDK's own retries are off).

Retried: HTTP 408, 409, 429, 500, 502, 503, 504 and 530, connection errors,
timeouts, and malformed bodies. Never retried: every other status (400, 401,
403, 404, ...) and a 429 whose provider error code or type is
``insufficient_quota``, because waiting does not refill a quota. The decision
uses the status and the provider's error code only, never the message text.

Between attempts the policy waits what the server asked for (``retry-after-ms``
or ``Retry-After`` in seconds or as an HTTP date, capped at
``max_retry_after``), otherwise a capped exponential backoff with full jitter.

Two optional hooks: ``on_retry`` hears the kind of every fault that is
retried (``fault_kind``: "429 rate limit", "5xx server error", "timeout"...),
for the run's summary; ``observer`` (a circuit breaker, ``cje.api.health``)
sees every attempt's outcome and may refuse the next attempt outright.
"""

from __future__ import annotations

import logging
import math
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Protocol, TypeVar

from cje.api.errors import MalformedResponse, RequestFailed

if TYPE_CHECKING:
    import openai
    import tenacity

logger = logging.getLogger(__name__)

T = TypeVar("T")

RETRY_STATUSES = frozenset({408, 409, 429, 500, 502, 503, 504, 530})
QUOTA_CODES = frozenset({"insufficient_quota"})
MAX_ERROR_CHARS = 300



def api_faults() -> tuple[type[Exception], ...]:
    """The exceptions a request can end in that become failure rows; anything
    else (a bug, a stop request) propagates unchanged. (The SDK is imported
    here, at the first request, not when a script starts: it takes most of a
    second, and --help or a dry run never needs it.)"""
    import openai

    return (openai.APIError, MalformedResponse)


class AttemptObserver(Protocol):
    """Sees each attempt of a request: may raise in ``before_attempt`` to stop it."""

    def before_attempt(self) -> None: ...

    def after_failure(self, exc: BaseException) -> None: ...

    def after_success(self) -> None: ...


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently to repeat a failed request.

    ``max_attempts`` counts every request, the first one included: 1 means no
    retry, and the CLI's ``--max-retries N`` maps to ``max_attempts=N``.
    ``sleep`` and ``clock`` (wall-clock seconds, for HTTP-date ``Retry-After``)
    are injectable so tests run instantly; ``rng`` draws the jitter.
    """

    max_attempts: int = 5
    base_delay: float = 1.0
    max_delay: float = 60.0
    max_retry_after: float = 120.0
    rng: random.Random = field(default_factory=lambda: random.Random(0), compare=False)
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.time
    on_retry: Callable[[str], None] | None = field(default=None, compare=False)
    observer: AttemptObserver | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError(f"max_attempts must be at least 1, got {self.max_attempts}")
        for name in ("base_delay", "max_delay", "max_retry_after"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value >= 0):
                raise ValueError(f"{name} must be a finite number >= 0, got {value}")

    def call(self, attempt: Callable[[], T], *, redact: tuple[str, ...] = ()) -> T:
        """Run ``attempt`` until it succeeds, fails for good or attempts run out.

        A final failure raises ``RequestFailed``, its text scrubbed of every
        string in ``redact`` (the API key). Exceptions that are not API faults
        propagate unchanged, without retry.
        """
        attempts = 0

        import tenacity

        faults = api_faults()

        def counted() -> T:
            nonlocal attempts
            attempts += 1
            observer = self.observer
            if observer is not None:
                observer.before_attempt()
            try:
                result = attempt()
            except faults as exc:
                if observer is not None:
                    observer.after_failure(exc)
                raise
            if observer is not None:
                observer.after_success()
            return result

        retrying = tenacity.Retrying(
            stop=tenacity.stop_after_attempt(self.max_attempts),
            wait=self._wait,
            retry=tenacity.retry_if_exception(is_retryable),
            sleep=self.sleep,
            reraise=True,
            before_sleep=lambda state: self._before_sleep(state, redact),
        )
        try:
            return retrying(counted)
        except faults as exc:
            # "from None": the provider's raw message stays out of tracebacks.
            raise failure_from(exc, attempts=attempts, redact=redact) from None

    def _before_sleep(self, state: tenacity.RetryCallState, redact: tuple[str, ...]) -> None:
        _log_retry(state, self.max_attempts, redact)
        exc = state.outcome.exception() if state.outcome is not None else None
        if self.on_retry is not None and exc is not None:
            self.on_retry(fault_kind(exc))

    def backoff(self, attempt_number: int) -> float:
        """Full-jitter delay after failed attempt ``attempt_number`` (1-based)."""
        ceiling = min(self.max_delay, self.base_delay * 2.0 ** (attempt_number - 1))
        return self.rng.uniform(0.0, ceiling)

    def _wait(self, state: tenacity.RetryCallState) -> float:
        import openai

        exc = state.outcome.exception() if state.outcome is not None else None
        if isinstance(exc, openai.APIStatusError):
            asked = retry_after_seconds(exc.response.headers, now=self.clock())
            if asked is not None:
                return min(asked, self.max_retry_after)
        return self.backoff(state.attempt_number)


def is_retryable(exc: BaseException) -> bool:
    """Whether repeating the request that raised ``exc`` may succeed."""
    import openai

    if isinstance(exc, (openai.APIConnectionError, MalformedResponse)):
        return True  # APITimeoutError is an APIConnectionError
    if isinstance(exc, openai.APIResponseValidationError):
        return True  # a body that does not match the schema: malformed
    if isinstance(exc, openai.APIStatusError):
        return exc.status_code in RETRY_STATUSES and not is_quota_exhausted(exc)
    return False


def fault_kind(exc: BaseException) -> str:
    """What kind of fault ``exc`` is, in a few words (for counting retries)."""
    import openai

    if isinstance(exc, openai.APITimeoutError):
        return "timeout"
    if isinstance(exc, openai.APIConnectionError):
        return "connection error"
    if isinstance(exc, (MalformedResponse, openai.APIResponseValidationError)):
        return "malformed reply"
    if isinstance(exc, openai.APIStatusError):
        if exc.status_code == 429:
            return "429 quota exhausted" if is_quota_exhausted(exc) else "429 rate limit"
        return "5xx server error" if exc.status_code >= 500 else f"HTTP {exc.status_code}"
    return type(exc).__name__


def is_quota_exhausted(exc: openai.APIStatusError) -> bool:
    """A 429 that means "out of credit", not "slow down"."""
    return exc.status_code == 429 and bool(QUOTA_CODES & {exc.code, exc.type})


def retry_after_seconds(headers: Mapping[str, str], *, now: float) -> float | None:
    """Seconds the server asked us to wait, or ``None`` if it did not say.

    ``retry-after-ms`` wins over ``Retry-After``; the latter may be seconds or an
    HTTP date (compared with ``now``, epoch seconds). Unparseable values are ignored.
    """
    millis = _parse_float(headers.get("retry-after-ms"))
    if millis is not None:
        return millis / 1000.0
    raw = headers.get("retry-after")
    if raw is None:
        return None
    seconds = _parse_float(raw)
    if seconds is not None:
        return seconds
    try:
        when = parsedate_to_datetime(raw)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:  # "-0000" parses as naive; HTTP dates are GMT anyway
        when = when.replace(tzinfo=UTC)
    return max(0.0, when.timestamp() - now)


def _parse_float(raw: str | None) -> float | None:
    if raw is None:
        return None
    try:
        value = float(raw.strip())
    except ValueError:
        return None
    return value if math.isfinite(value) and value >= 0 else None


def failure_from(exc: Exception, *, attempts: int, redact: tuple[str, ...] = ()) -> RequestFailed:
    """The ``RequestFailed`` that records ``exc`` as the final outcome."""
    import openai

    status = exc.status_code if isinstance(exc, openai.APIStatusError) else None
    code = _provider_code(exc)
    return RequestFailed(
        error_type="retryable" if is_retryable(exc) else "non_retryable",
        error=describe(exc, redact=redact),
        attempts=attempts,
        status_code=status,
        provider_code=code,
    )


def describe(exc: BaseException, *, redact: tuple[str, ...] = ()) -> str:
    """A short one-line account of an API fault, secrets replaced by ``***``."""
    import openai

    if isinstance(exc, openai.APIStatusError):
        text = f"HTTP {exc.status_code}"
        code = _provider_code(exc)
        text += f" {code}" if code else ""
        message = _provider_message(exc)
        text += f": {message}" if message else ""
    elif isinstance(exc, openai.APITimeoutError):
        text = "timeout: no reply within the client timeout"
    elif isinstance(exc, openai.APIConnectionError):
        cause = type(exc.__cause__).__name__ if exc.__cause__ is not None else "unknown"
        text = f"connection error: {cause}"
    elif isinstance(exc, (MalformedResponse, openai.APIResponseValidationError)):
        text = f"malformed response: {exc}"
    else:
        text = f"{type(exc).__name__}: {exc}"
    return _redact(" ".join(text.split()), redact)[:MAX_ERROR_CHARS]


def _provider_code(exc: BaseException) -> str | None:
    import openai

    if isinstance(exc, openai.APIError):
        return exc.code or exc.type
    return None


def _provider_message(exc: openai.APIStatusError) -> str:
    body = exc.body
    if isinstance(body, dict):
        message = body.get("message")
        return message if isinstance(message, str) else ""
    return body if isinstance(body, str) else ""


def _redact(text: str, secrets: tuple[str, ...]) -> str:
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text


def _log_retry(state: tenacity.RetryCallState, max_attempts: int, redact: tuple[str, ...]) -> None:
    exc = state.outcome.exception() if state.outcome is not None else None
    delay = state.next_action.sleep if state.next_action is not None else 0.0
    reason = describe(exc, redact=redact) if exc is not None else "unknown"
    logger.info(
        "attempt %d/%d failed (%s); retrying in %.2f s",
        state.attempt_number,
        max_attempts,
        reason,
        delay,
    )
