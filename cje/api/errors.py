"""Typed errors of the API layer. None of their messages ever holds an API key."""

from __future__ import annotations

from typing import Literal

from cje.errors import CJEError, EnvironmentFailure

ErrorType = Literal["retryable", "non_retryable"]


class MissingAPIKeyError(CJEError):
    """The environment variable that should hold a role's API key is unset or empty."""

    def __init__(self, role: str, variables: tuple[str, ...]) -> None:
        self.role = role
        self.variables = variables
        names = " or ".join(variables)
        super().__init__(f"no API key for role {role!r}: set the environment variable {names}")


class InvalidEndpointError(CJEError):
    """A base URL that cannot be an API endpoint (not http(s), no host)."""


class EndpointUnusable(EnvironmentFailure):
    """An endpoint refuses every request for a reason waiting cannot fix
    (connection refused, unknown host, 401, 403, 404, exhausted quota). The
    message names the URL, the status, the provider's message and what to do;
    never the key."""


class MalformedResponse(CJEError):
    """A 2xx reply whose body is not the JSON the endpoint promises.

    Retried like a 5xx: a truncated or garbled body is usually transient.
    """


class RequestFailed(CJEError):
    """A request that failed for good, after every attempt the retry policy allows.

    ``error_type`` is ``"retryable"`` when the fault was transient but the attempts
    ran out (a later run may succeed), ``"non_retryable"`` when repeating the same
    request cannot help (400, 401, 403, 404, exhausted quota). ``error`` is a short
    description (status code, provider error code and message) with the key redacted.
    ``status_code`` is ``None`` for connection errors, timeouts and malformed bodies.
    """

    def __init__(
        self,
        *,
        error_type: ErrorType,
        error: str,
        attempts: int,
        status_code: int | None,
        provider_code: str | None,
    ) -> None:
        self.error_type: ErrorType = error_type
        self.error = error
        self.attempts = attempts
        self.status_code = status_code
        self.provider_code = provider_code
        super().__init__(f"{error_type} failure after {attempts} attempt(s): {error}")

    @property
    def cause(self) -> str:
        """A short name for what went wrong, to count failures by: ``HTTP 401
        invalid_api_key``, ``connection error``, ``timeout``..."""
        if self.status_code is not None:
            return f"HTTP {self.status_code}" + (f" {self.provider_code}" if self.provider_code else "")
        return self.error.split(":", 1)[0]

    def as_row(self) -> dict[str, str]:
        """The ``error`` / ``error_type`` / ``cause`` fields of a failure row."""
        return {"error": self.error, "error_type": self.error_type, "cause": self.cause}


class Stopped(CJEError):
    """Work was abandoned because a stop was requested (for example on Ctrl-C)."""
