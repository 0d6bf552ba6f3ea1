"""Fixtures for API tests: a scripted fault server and an instant, recording sleep."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.api.api_helpers import RecordingSleep
from tests.api.fault_server import FaultServer


@pytest.fixture
def server() -> Iterator[FaultServer]:
    with FaultServer() as running:
        yield running


@pytest.fixture
def sleep() -> RecordingSleep:
    return RecordingSleep()
