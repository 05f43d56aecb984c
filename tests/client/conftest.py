"""Fixtures: a TaskManager on the plugin's session emulator, unique queues,
an emulator of a test's own for faults and tombstones, and a real target.

The session emulator is shared, so every test sends to queues named after
itself; tests that arm faults or need a tombstone start their own emulator.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest

from queuekeeper import TaskManager
from queuekeeper.emulator import Emulator
from tests.emulator.target import Target

PROJECT = "client-tests"
LOCATION = "europe-west1"
API_KEY = "k3y-4b9f0c2e-very-secret"
_numbers = itertools.count()

MakeManager = Callable[..., TaskManager]


@pytest.fixture(autouse=True)
def no_test_mode(monkeypatch: pytest.MonkeyPatch) -> None:
    """The caller's $TEST_MODE must not decide what a test runs against."""
    monkeypatch.delenv("TEST_MODE", raising=False)


@pytest.fixture
def queue(request: pytest.FixtureRequest) -> str:
    """A queue id no other test uses: the session emulator is shared."""
    stem = re.sub(r"[^A-Za-z0-9]+", "-", request.node.name).strip("-")[:80]
    return f"{stem}-{next(_numbers)}"


@pytest.fixture
def target() -> Iterator[Target]:
    served = Target()
    yield served
    served.close()


@pytest.fixture
def own_emulator() -> Iterator[Emulator]:
    """An emulator for this test alone (faults are armed per emulator); it
    keeps tasks instead of dispatching them, so a test can count them."""
    with Emulator(
        queue_tombstone=timedelta(0), rest_port=None, dispatch=False
    ) as emulator:
        yield emulator


@pytest.fixture
def make_manager(target: Target) -> Iterator[MakeManager]:
    """TaskManagers for the target's /v1 prefix, closed after the test."""
    made: list[TaskManager] = []

    def make(**options: Any) -> TaskManager:
        settings: dict[str, Any] = {
            "project": PROJECT,
            "location": LOCATION,
            "base_url": target.base + "/v1",
            "auth_key": API_KEY,
            "retry_deadline": 5.0,
        }
        settings.update(options)
        if isinstance(settings.get("emulator_host"), Emulator):
            settings["emulator_host"] = settings["emulator_host"].address
        made.append(TaskManager(**settings))
        return made[-1]

    yield make
    for manager in made:
        manager.close()


@pytest.fixture
def tm(cloud_tasks_emulator: Emulator, make_manager: MakeManager) -> TaskManager:
    """A TaskManager on the session emulator (found through the environment)."""
    return make_manager()


@pytest.fixture
def own_tm(own_emulator: Emulator, make_manager: MakeManager) -> TaskManager:
    return make_manager(emulator_host=own_emulator.address)


def queue_path(queue: str) -> str:
    return f"projects/{PROJECT}/locations/{LOCATION}/queues/{queue}"
