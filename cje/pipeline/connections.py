"""Everything a step needs to send requests: endpoints, clients, the retry
policy, the rate limit, the concurrency window and the stop signal.

One ``Connections`` serves a whole run. Endpoints are resolved (and API keys
read) only when a step has work for a role, so resuming a finished run needs
no key. Clients are shared per (base URL, key variable); the echo
``max_tokens`` a provider accepted is remembered per model, so a provider that
rejects ``max_tokens: 0`` costs one rejected request per run, not one per row.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Literal, TypeVar

import openai

from cje.api.client import make_client
from cje.api.concurrency import Finished, StopSignal, run_tasks
from cje.api.endpoints import Endpoint, Role, resolve_endpoint
from cje.api.ratelimit import RateLimiter
from cje.api.retry import RetryPolicy
from cje.pipeline.settings import ApiSettings

logger = logging.getLogger(__name__)

K = TypeVar("K")
R = TypeVar("R")


class Connections:
    """Shared request machinery of one run. Close it (or use ``with``) at the end."""

    def __init__(self, api: ApiSettings, *, env: Mapping[str, str] | None = None) -> None:
        self.api = api
        self.stop = StopSignal()
        # Retry waits sleep on the stop signal, so Ctrl-C ends them at once.
        self.retry = RetryPolicy(
            max_attempts=api.max_attempts,
            base_delay=api.retry_base_delay,
            max_delay=max(api.retry_base_delay, 60.0),
            max_retry_after=api.max_retry_after,
            sleep=self.stop.sleep,
        )
        self._limiter = RateLimiter(api.requests_per_minute) if api.requests_per_minute else None
        self._env = env
        self._endpoints: dict[str, Endpoint] = {}
        self._clients: dict[tuple[str, str], openai.OpenAI] = {}
        self._echo_max_tokens: dict[tuple[str, str], Literal[0, 1]] = {}
        self._lock = threading.Lock()

    def endpoint(self, role: Role) -> Endpoint:
        """``role`` resolved against the environment (raises if its key is missing)."""
        with self._lock:
            if role.name not in self._endpoints:
                self._endpoints[role.name] = resolve_endpoint(role, env=self._env)
            return self._endpoints[role.name]

    def client(self, endpoint: Endpoint) -> openai.OpenAI:
        """The shared client for ``endpoint``'s base URL and key."""
        key = (endpoint.base_url, endpoint.api_key_env)
        with self._lock:
            if key not in self._clients:
                self._clients[key] = make_client(
                    endpoint, timeout=self.api.timeout, max_connections=self.api.concurrency
                )
            return self._clients[key]

    def echo_max_tokens(self, endpoint: Endpoint) -> Literal[0, 1]:
        """The echo ``max_tokens`` to ask for: 0 until the provider rejected it."""
        with self._lock:
            return self._echo_max_tokens.get((endpoint.base_url, endpoint.model), 0)

    def remember_echo_max_tokens(self, endpoint: Endpoint, accepted: int) -> None:
        if accepted == 1:
            with self._lock:
                self._echo_max_tokens[(endpoint.base_url, endpoint.model)] = 1

    def run(self, tasks: Iterable[tuple[K, Callable[[], R]]]) -> Iterator[Finished[K, R]]:
        """``run_tasks`` with this run's concurrency, rate limit and stop signal."""
        return run_tasks(tasks, concurrency=self.api.concurrency, limiter=self._limiter, stop=self.stop)

    def close(self) -> None:
        with self._lock:
            clients, self._clients = list(self._clients.values()), {}
        for client in clients:
            client.close()

    def __enter__(self) -> Connections:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
