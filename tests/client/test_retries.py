"""Transient failures are retried with backoff, and a retry never makes a
named task twice. Faults come from the emulator's injection: "before" fails
a call without doing it, "after" does it and loses the answer."""

from __future__ import annotations

import time
from collections.abc import Callable

import grpc
import pytest

from queuekeeper import TaskManager
from queuekeeper.emulator import Emulator
from queuekeeper.errors import (
    PermissionDenied,
    QueueAlreadyExists,
    TaskAlreadyExists,
    TransientError,
)
from tests.client.conftest import MakeManager, queue_path
from tests.emulator.conftest import connect


@pytest.fixture
def tm(own_emulator: Emulator, make_manager: MakeManager) -> TaskManager:
    manager = make_manager(emulator_host=own_emulator)
    manager.create_queue("q")
    own_emulator.reset_call_counts()
    return manager


def task_ids(emulator: Emulator) -> list[str]:
    with connect(emulator) as client:
        tasks = client.list_tasks(parent=queue_path("q"))
        return sorted(t.name.rsplit("/", 1)[1] for t in tasks)


@pytest.mark.parametrize(
    "code", [grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED]
)
def test_a_transient_failure_before_the_call_is_retried(
    tm: TaskManager, own_emulator: Emulator, code: grpc.StatusCode
) -> None:
    own_emulator.inject_fault("CreateTask", code, count=2)

    result = tm.run("q", "/p")

    assert result.attempts == 3
    assert own_emulator.call_counts["CreateTask"] == 3
    assert task_ids(own_emulator) == [result.task_id]


def test_a_named_task_whose_answer_was_lost_is_delivered_once(
    tm: TaskManager, own_emulator: Emulator
) -> None:
    own_emulator.inject_fault(
        "CreateTask", grpc.StatusCode.DEADLINE_EXCEEDED, count=1, when="after"
    )

    result = tm.run("q", "/p", name="invoice-7")

    assert result.name == queue_path("q") + "/tasks/invoice-7"
    assert result.attempts == 2
    assert task_ids(own_emulator) == ["invoice-7"]


def test_an_unnamed_task_whose_answer_was_lost_may_be_made_twice(
    tm: TaskManager, own_emulator: Emulator
) -> None:
    # The documented cost of at-least-once: name a task to make it once.
    own_emulator.inject_fault(
        "CreateTask", grpc.StatusCode.DEADLINE_EXCEEDED, count=1, when="after"
    )

    result = tm.run("q", "/p")

    assert result.attempts == 2
    assert len(task_ids(own_emulator)) == 2


def test_a_duplicate_name_on_the_first_attempt_is_not_taken_for_delivery(
    tm: TaskManager, own_emulator: Emulator
) -> None:
    tm.run("q", "/p", name="once")

    with pytest.raises(TaskAlreadyExists):
        tm.run("q", "/p", name="once")

    assert own_emulator.call_counts["CreateTask"] == 2


def test_retrying_stops_at_the_retry_deadline_with_a_transient_error(
    own_emulator: Emulator, make_manager: MakeManager
) -> None:
    tm = make_manager(emulator_host=own_emulator, retry_deadline=0.5)
    tm.create_queue("q")
    own_emulator.inject_fault("CreateTask", grpc.StatusCode.UNAVAILABLE)

    started = time.monotonic()
    with pytest.raises(TransientError) as raised:
        tm.run("q", "/p")

    assert raised.value.code == "UNAVAILABLE"
    assert time.monotonic() - started < 1.0
    assert own_emulator.call_counts["CreateTask"] >= 2


def test_a_permission_error_is_raised_at_once_without_retrying(
    tm: TaskManager, own_emulator: Emulator
) -> None:
    own_emulator.inject_fault("CreateTask", grpc.StatusCode.PERMISSION_DENIED)

    with pytest.raises(PermissionDenied):
        tm.run("q", "/p")

    assert own_emulator.call_counts["CreateTask"] == 1


def test_a_queue_create_whose_answer_was_lost_succeeds_on_its_retry(
    tm: TaskManager, own_emulator: Emulator
) -> None:
    own_emulator.inject_fault(
        "CreateQueue", grpc.StatusCode.UNAVAILABLE, count=1, when="after"
    )

    tm.create_queue("made-once")

    assert tm.get_queue("made-once").state == "RUNNING"
    with pytest.raises(QueueAlreadyExists):
        tm.create_queue("made-once")


def test_a_queue_delete_whose_answer_was_lost_succeeds_on_its_retry(
    tm: TaskManager, own_emulator: Emulator
) -> None:
    own_emulator.inject_fault(
        "DeleteQueue", grpc.StatusCode.DEADLINE_EXCEEDED, count=1, when="after"
    )

    tm.delete_queue("q")

    assert tm.list_queues() == []


@pytest.mark.parametrize(
    "method", ["GetQueue", "ListQueues", "PauseQueue", "ResumeQueue", "PurgeQueue"]
)
def test_every_queue_call_is_retried_on_a_transient_failure(
    tm: TaskManager, own_emulator: Emulator, method: str
) -> None:
    own_emulator.inject_fault(method, grpc.StatusCode.UNAVAILABLE, count=1)
    calls: dict[str, Callable[[], object]] = {
        "GetQueue": lambda: tm.get_queue("q"),
        "ListQueues": tm.list_queues,
        "PauseQueue": lambda: tm.pause_queue("q"),
        "ResumeQueue": lambda: tm.resume_queue("q"),
        "PurgeQueue": lambda: tm.purge_queue("q"),
    }

    calls[method]()

    assert own_emulator.call_counts[method] == 2
