"""Auto-create: a missing queue is made from its declaration or the options,
a lost race is fine, a tombstoned name is an error, and the task goes once."""

from __future__ import annotations

import threading
from datetime import timedelta
from pathlib import Path

import grpc
import pytest

from queuekeeper import QueueOptions, TaskManager
from queuekeeper.emulator import Emulator
from queuekeeper.errors import QueueNotFound, QueueRecentlyDeleted
from tests.client.conftest import LOCATION, PROJECT, MakeManager, queue_path
from tests.emulator.conftest import connect
from tests.emulator.target import Target

MANIFEST = f"""\
version: 1
project: {PROJECT}
location: {LOCATION}
queues:
  - name: billing-tasks
    state: paused
    rate_limits: {{max_dispatches_per_second: 2, max_concurrent_dispatches: 3}}
    retry_config: {{max_attempts: unlimited, max_doublings: 0}}
"""


def tasks_in(emulator: Emulator, queue: str) -> list[str]:
    with connect(emulator) as client:
        return [t.name for t in client.list_tasks(parent=queue_path(queue))]


def test_a_missing_queue_is_created_from_the_queue_options_then_sent_once(
    own_emulator: Emulator, make_manager: MakeManager
) -> None:
    options = QueueOptions(
        max_dispatches_per_second=10, max_concurrent_dispatches=5, max_attempts=3
    )
    tm = make_manager(emulator_host=own_emulator, queue_options=options)

    tm.run("user-notifications", "/p")

    queue = tm.get_queue("user-notifications")
    assert (queue.max_dispatches_per_second, queue.max_concurrent_dispatches) == (
        10.0,
        5,
    )
    assert queue.max_attempts == 3
    assert own_emulator.call_counts["CreateQueue"] == 1
    assert len(tasks_in(own_emulator, "user-notifications")) == 1


def test_a_missing_queue_is_created_as_the_manifest_declares_it(
    own_emulator: Emulator, target: Target, tmp_path: Path
) -> None:
    manifest = tmp_path / "queues.yaml"
    manifest.write_text(MANIFEST)
    with TaskManager.from_manifest(
        manifest, base_url=target.base, emulator_host=own_emulator.address
    ) as tm:
        tm.run("billing-tasks", "/api/webhooks/billing-reminder")
        queue = tm.get_queue("billing-tasks")

    assert queue.state == "PAUSED"
    assert queue.max_dispatches_per_second == 2.0
    assert queue.max_concurrent_dispatches == 3
    assert queue.max_attempts == -1
    assert queue.settings["retry_config.max_doublings"] == 0  # a zero is kept
    assert len(tasks_in(own_emulator, "billing-tasks")) == 1


def test_a_queue_the_manifest_does_not_declare_is_not_created(
    own_emulator: Emulator, target: Target, tmp_path: Path
) -> None:
    manifest = tmp_path / "queues.yaml"
    manifest.write_text(MANIFEST)
    tm = TaskManager.from_manifest(
        manifest, base_url=target.base, emulator_host=own_emulator.address
    )

    with pytest.raises(QueueNotFound) as raised:
        tm.run("billing-typo", "/p")

    assert raised.value.queue == queue_path("billing-typo")
    assert "declare billing-typo" in (raised.value.hint or "")
    assert "CreateQueue" not in own_emulator.call_counts
    tm.close()


def test_with_auto_create_off_a_missing_queue_raises_with_its_full_path(
    own_emulator: Emulator, make_manager: MakeManager
) -> None:
    tm = make_manager(emulator_host=own_emulator, auto_create=False)

    with pytest.raises(QueueNotFound) as raised:
        tm.run("nowhere", "/p")

    assert raised.value.queue == queue_path("nowhere")
    assert queue_path("nowhere") in str(raised.value)
    assert own_emulator.call_counts == {"CreateTask": 1}


def test_a_queue_in_its_deletion_tombstone_raises_and_is_not_retried(
    make_manager: MakeManager,
) -> None:
    with Emulator(
        queue_tombstone=timedelta(days=7), rest_port=None, dispatch=False
    ) as emulator:
        tm = make_manager(emulator_host=emulator)
        tm.create_queue("short-lived")
        tm.delete_queue("short-lived")
        emulator.reset_call_counts()

        with pytest.raises(QueueRecentlyDeleted) as raised:
            tm.run("short-lived", "/p")

        assert raised.value.queue == queue_path("short-lived")
        assert emulator.call_counts == {"CreateTask": 1, "CreateQueue": 1}


def test_losing_the_create_to_someone_else_still_sends_the_task_once(
    own_emulator: Emulator, make_manager: MakeManager
) -> None:
    tm = make_manager(emulator_host=own_emulator)
    # The queue is made, but we hear ALREADY_EXISTS: another caller won.
    own_emulator.inject_fault(
        "CreateQueue", grpc.StatusCode.ALREADY_EXISTS, count=1, when="after"
    )

    result = tm.run("contested", "/p")

    assert own_emulator.call_counts == {"CreateTask": 2, "CreateQueue": 1}
    assert tasks_in(own_emulator, "contested") == [result.name]


def test_any_not_found_answer_triggers_auto_create_whatever_its_text(
    own_emulator: Emulator, make_manager: MakeManager
) -> None:
    tm = make_manager(emulator_host=own_emulator)
    tm.create_queue("present")
    own_emulator.inject_fault("CreateTask", grpc.StatusCode.NOT_FOUND, count=1)

    tm.run("present", "/p")

    assert len(tasks_in(own_emulator, "present")) == 1


def test_a_queue_that_answers_not_found_just_after_its_creation_is_waited_for(
    own_emulator: Emulator, make_manager: MakeManager
) -> None:
    tm = make_manager(emulator_host=own_emulator)
    # "wait at least a minute for the queue to initialize": twice NOT_FOUND.
    own_emulator.inject_fault("CreateTask", grpc.StatusCode.NOT_FOUND, count=2)

    result = tm.run("initializing", "/p")

    assert result.attempts == 3
    assert tasks_in(own_emulator, "initializing") == [result.name]


def test_two_task_managers_racing_to_create_a_queue_both_deliver_once(
    own_emulator: Emulator, make_manager: MakeManager
) -> None:
    managers = [make_manager(emulator_host=own_emulator) for _ in range(2)]
    start = threading.Barrier(8)
    failures: list[BaseException] = []

    def send(tm: TaskManager, index: int) -> None:
        start.wait()
        try:
            tm.run("raced", "/p", name=f"task-{index}")
        except BaseException as exc:  # collected: a thread must not swallow it
            failures.append(exc)

    threads = [
        threading.Thread(target=send, args=(managers[i % 2], i)) for i in range(8)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    assert failures == []
    assert sorted(t.rsplit("/", 1)[1] for t in tasks_in(own_emulator, "raced")) == [
        f"task-{i}" for i in range(8)
    ]
    # Several callers saw NOT_FOUND and raced to create (6 to 8 of the 8 in
    # trials); every loser went on to send its task once.
    assert own_emulator.call_counts["CreateQueue"] >= 2
