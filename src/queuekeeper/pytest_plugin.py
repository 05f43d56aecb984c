"""A pytest plugin: a local Cloud Tasks for the tests of applications.

Installed with queuekeeper (entry point ``pytest11``), it provides

- ``cloud_tasks_emulator``: one emulator for the test session, on free
  loopback ports, with ``CLOUD_TASKS_EMULATOR_HOST`` pointing at it, so any
  code that builds its client through queuekeeper (or reads that variable)
  talks to it without credentials;
- ``task_outbox``: a :class:`~queuekeeper.client.taskoutbox.TaskOutbox`
  around a new test-mode TaskManager for each test, to assert on what was
  enqueued and deliver it to a WSGI or ASGI application in the process.

The TaskManager is configured by ini options (``[tool.pytest.ini_options]``
or ``pytest.ini``): ``queuekeeper_config`` names a file with a
``task_manager:`` block, as ``TaskManager.from_config`` reads it;
``queuekeeper_project``, ``queuekeeper_location``, ``queuekeeper_base_url``
and ``queuekeeper_auth_key`` set one setting each, over the file's.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import pytest

from queuekeeper.emulator import Emulator

if TYPE_CHECKING:
    from queuekeeper.client.taskoutbox import TaskOutbox

EMULATOR_HOST_ENV = "CLOUD_TASKS_EMULATOR_HOST"
CONFIG_OPTION = "queuekeeper_config"
# TaskManager settings an ini option gives, and their defaults without a file.
SETTINGS = {
    "project": "test-project",
    "location": "us-central1",
    "base_url": "http://localhost",
    "auth_key": None,
}


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini(
        CONFIG_OPTION,
        "queuekeeper: a file whose task_manager: block configures task_outbox",
        type="paths",
        default=[],
    )
    for name, default in SETTINGS.items():
        parser.addini(
            f"queuekeeper_{name}",
            f"queuekeeper: task_outbox's TaskManager {name} (default: {default})",
            default=None,
        )


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


@pytest.fixture
def task_outbox(pytestconfig: pytest.Config) -> Iterator[TaskOutbox]:
    """A new TaskManager in test mode for this test, wrapped in a TaskOutbox;
    it is closed after the test."""
    # Imported here: a session that never asks for it stays as fast as before.
    from queuekeeper.client.manager import TaskManager
    from queuekeeper.client.taskoutbox import TaskOutbox

    files, settings = manager_settings(pytestconfig)
    if files:
        manager = TaskManager.from_config(files[0], test_mode=True, **settings)
    else:
        manager = TaskManager(**{**SETTINGS, **settings, "test_mode": True})
    with manager:
        yield TaskOutbox(manager)


def manager_settings(config: pytest.Config) -> tuple[list[Any], dict[str, Any]]:
    """The config file named (at most one) and the settings set one by one."""
    files = list(config.getini(CONFIG_OPTION))
    if len(files) > 1:
        raise pytest.UsageError(f"{CONFIG_OPTION} names more than one file")
    settings = {
        name: value
        for name in SETTINGS
        if (value := config.getini(f"queuekeeper_{name}")) is not None
    }
    return files, settings
