"""run_many() under faults: a batch retried after a lost answer makes no task
twice, and a service without BatchCreateTasks gets CreateTask calls."""

from __future__ import annotations

import grpc
import pytest

from queuekeeper import TaskManager, TaskSpec
from queuekeeper.emulator import Emulator
from queuekeeper.errors import TransientError
from tests.client.conftest import MakeManager
from tests.client.test_autocreate import tasks_in


@pytest.fixture
def tm(own_emulator: Emulator, make_manager: MakeManager) -> TaskManager:
    manager = make_manager(emulator_host=own_emulator)
    manager.create_queue("q")
    own_emulator.reset_call_counts()
    return manager


def named(count: int) -> list[TaskSpec]:
    return [TaskSpec("q", "/p", name=f"order-{i}") for i in range(count)]


def task_ids(emulator: Emulator) -> list[str]:
    return sorted(name.rsplit("/", 1)[1] for name in tasks_in(emulator, "q"))


@pytest.mark.parametrize("when", ["before", "after"])
def test_named_tasks_of_a_batch_that_failed_transiently_are_made_once(
    tm: TaskManager, own_emulator: Emulator, when: str
) -> None:
    own_emulator.inject_fault(
        "BatchCreateTasks", grpc.StatusCode.DEADLINE_EXCEEDED, count=1, when=when
    )

    outcomes = tm.run_many(named(150))

    assert outcomes.ok
    assert task_ids(own_emulator) == sorted(f"order-{i}" for i in range(150))
    assert own_emulator.call_counts["BatchCreateTasks"] == 3
    assert sorted({r.attempts for r in outcomes.delivered}) == [1, 2]


def test_unnamed_tasks_of_a_batch_whose_answer_was_lost_are_made_once_too(
    tm: TaskManager, own_emulator: Emulator
) -> None:
    # The retry carries the same request_id, and the emulator, as the API
    # promises, answers it with the first operation instead of redoing it.
    own_emulator.inject_fault(
        "BatchCreateTasks", grpc.StatusCode.UNAVAILABLE, count=1, when="after"
    )

    outcomes = tm.run_many([TaskSpec("q", "/p") for _ in range(40)])

    assert outcomes.ok
    assert sorted(r.name for r in outcomes.delivered) == tasks_in(own_emulator, "q")
    assert len(tasks_in(own_emulator, "q")) == 40


def test_a_batch_failing_past_the_retry_deadline_is_a_transient_outcome(
    own_emulator: Emulator, make_manager: MakeManager
) -> None:
    tm = make_manager(emulator_host=own_emulator, retry_deadline=0.3)
    tm.create_queue("q")
    own_emulator.inject_fault("BatchCreateTasks", grpc.StatusCode.UNAVAILABLE)

    outcomes = tm.run_many(named(3))

    assert all(isinstance(o, TransientError) for o in outcomes)
    assert task_ids(own_emulator) == []


def test_without_batch_create_tasks_every_task_goes_by_create_task(
    tm: TaskManager, own_emulator: Emulator
) -> None:
    own_emulator.inject_fault("BatchCreateTasks", grpc.StatusCode.UNIMPLEMENTED)

    first = tm.run_many(named(120))
    again = tm.run_many([TaskSpec("q", "/p", name="later")])

    assert first.ok and again.ok
    assert own_emulator.call_counts == {"BatchCreateTasks": 1, "CreateTask": 121}
    assert len(task_ids(own_emulator)) == 121


def test_the_fallback_auto_creates_a_missing_queue_once(
    tm: TaskManager, own_emulator: Emulator
) -> None:
    own_emulator.inject_fault("BatchCreateTasks", grpc.StatusCode.UNIMPLEMENTED)

    outcomes = tm.run_many([TaskSpec("new", "/p", name=f"n-{i}") for i in range(20)])

    assert outcomes.ok
    assert own_emulator.call_counts == {
        "BatchCreateTasks": 1,
        "CreateTask": 21,  # the first one alone: NOT_FOUND, then again
        "CreateQueue": 1,
    }


def test_the_fallback_keeps_the_named_task_rule_of_run(
    tm: TaskManager, own_emulator: Emulator
) -> None:
    own_emulator.inject_fault("BatchCreateTasks", grpc.StatusCode.UNIMPLEMENTED)
    tm.run_many([TaskSpec("q", "/p", name="warm-up")])
    own_emulator.inject_fault(
        "CreateTask", grpc.StatusCode.DEADLINE_EXCEEDED, count=1, when="after"
    )

    outcomes = tm.run_many(named(1))

    assert outcomes.ok and outcomes.delivered[0].attempts == 2
    assert task_ids(own_emulator) == ["order-0", "warm-up"]
