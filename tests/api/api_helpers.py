"""Helpers shared by the API tests: a recording sleep, and a client and retry
policy pointed at a ``FaultServer``."""

from __future__ import annotations

import random

import openai

from cje.api.client import make_client
from cje.api.endpoints import Endpoint, Secret
from cje.api.retry import RetryPolicy
from tests.api.fault_server import FaultServer

TEST_KEY = "sk-test-SECRET-0123456789abcdef"


class RecordingSleep:
    """A sleep that returns at once and remembers what it was asked to wait."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)


def endpoint_for(server: FaultServer) -> Endpoint:
    return Endpoint(
        role="test",
        model="test-model",
        base_url=server.base_url,
        api_key_env="TEST_KEY",
        api_key=Secret(TEST_KEY),
        temperature=0.0,
        system_prompt=None,
        chat_template="llama3",
    )


def client_for(server: FaultServer, *, timeout: float = 5.0, max_connections: int = 16) -> openai.OpenAI:
    return make_client(endpoint_for(server), timeout=timeout, max_connections=max_connections)


def policy(sleep: RecordingSleep, *, max_attempts: int = 5, clock: float = 1_700_000_000.0) -> RetryPolicy:
    return RetryPolicy(max_attempts=max_attempts, rng=random.Random(0), sleep=sleep, clock=lambda: clock)
