"""A pytest plugin: a local Cloud Tasks for the tests of applications.

Installed with queuekeeper (entry point ``pytest11``), it provides the
``cloud_tasks_emulator`` fixture: one emulator for the test session, on free
loopback ports, with ``CLOUD_TASKS_EMULATOR_HOST`` pointing at it, so any code
that builds its client through queuekeeper (or reads that variable) talks to
it without credentials.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest

from queuekeeper.emulator import Emulator

EMULATOR_HOST_ENV = "CLOUD_TASKS_EMULATOR_HOST"


@pytest.fixture(scope="session")
def cloud_tasks_emulator() -> Iterator[Emulator]:
    """A running emulator shared by the session; its state is in memory.

    Deleted queue names are reusable at once (no tombstone), so tests may
    delete and recreate the queues they need.
    """
    with (
        pytest.MonkeyPatch.context() as patch,
        Emulator(queue_tombstone=timedelta(0)) as emulator,
    ):
        patch.setenv(EMULATOR_HOST_ENV, emulator.address)
        yield emulator
