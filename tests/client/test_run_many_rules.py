"""The rules of one batch, on a small service of their own: what the emulator
cannot be made to answer (a failure for some tasks of a batch only, a
service that does not match a repeated request id)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timezone

import pytest

from queuekeeper.client.backend import CreatedTask
from queuekeeper.client.bulksend import Sent, send_batch
from queuekeeper.client.flow import drive
from queuekeeper.client.options import TaskSettings
from queuekeeper.client.request import TaskRequest, build_request
from queuekeeper.client.retry import RetryPolicy
from queuekeeper.client.urls import BaseUrl
from queuekeeper.errors import QueuekeeperError, TaskAlreadyExists, TransientError
from queuekeeper.manifest import QueueKey

QUEUE = QueueKey("p", "us-central1", "q")
FAST = RetryPolicy(deadline=1.0, initial=0.001, maximum=0.002)
Reply = CreatedTask | QueuekeeperError
Fault = Callable[[int, TaskRequest, Reply], Reply]


class Service:
    """BatchCreateTasks in a dict: unique names, and faults by call number
    that replace a task's answer (after the task was made, or not)."""

    def __init__(self, faults: dict[int, Fault] | None = None) -> None:
        self.tasks: list[str] = []
        self.calls: list[tuple[str, list[str | None]]] = []
        self._faults = faults or {}

    def create_tasks(
        self, requests: Sequence[TaskRequest], request_id: str
    ) -> list[Reply]:
        number = len(self.calls)
        self.calls.append((request_id, [r.task_id for r in requests]))
        fault = self._faults.get(number, _as_made)
        return [fault(i, r, self._create(r)) for i, r in enumerate(requests)]

    def _create(self, request: TaskRequest) -> Reply:
        name = request.task_name or f"{QUEUE.path}/tasks/{len(self.tasks)}"
        if name in self.tasks:
            return TaskAlreadyExists(name)
        self.tasks.append(name)
        return CreatedTask(name, None)


def _as_made(index: int, request: TaskRequest, reply: Reply) -> Reply:
    return reply


def requests(*names: str | None) -> list[TaskRequest]:
    base = BaseUrl.parse("https://api.example.com")
    now = datetime.now(timezone.utc)
    return [
        build_request(base, None, QUEUE, "/p", TaskSettings(name=name), now)
        for name in names
    ]


def send(service: Service, batch: list[TaskRequest]) -> list[Sent | QueuekeeperError]:
    outcomes = drive(send_batch(FAST, batch, None), service)
    assert outcomes is not None
    return outcomes


def lost_for(index: int) -> Fault:
    """The task at ``index`` is made, but its answer is UNAVAILABLE."""

    def fault(i: int, request: TaskRequest, reply: Reply) -> Reply:
        return TransientError("UNAVAILABLE", "lost") if i == index else reply

    return fault


def test_a_task_failing_transiently_alone_is_sent_again_in_a_new_batch() -> None:
    service = Service({0: lost_for(1)})

    outcomes = send(service, requests("a", "b", "c"))

    assert [o[1] for o in outcomes if isinstance(o, tuple)] == [1, 2, 1]
    assert [ids for _, ids in service.calls] == [["a", "b", "c"], ["b"]]
    assert service.calls[0][0] != service.calls[1][0]  # a new request id
    assert service.tasks == [f"{QUEUE.path}/tasks/{n}" for n in "abc"]


def test_a_named_task_answering_already_exists_on_its_repeat_was_delivered() -> None:
    service = Service({0: lost_for(0)})

    [outcome] = send(service, requests("made-once"))

    assert isinstance(outcome, tuple)
    assert outcome[0].name == f"{QUEUE.path}/tasks/made-once"
    assert len(service.tasks) == 1


def test_already_exists_on_the_first_call_is_a_duplicate() -> None:
    service = Service()
    send(service, requests("taken"))

    [outcome] = send(service, requests("taken"))

    assert isinstance(outcome, TaskAlreadyExists)


def test_an_unnamed_task_repeated_after_a_lost_answer_may_be_made_twice() -> None:
    # The documented cost of at-least-once for unnamed tasks.
    service = Service({0: lost_for(0)})

    outcomes = send(service, requests(None, "named"))

    assert all(isinstance(o, tuple) for o in outcomes)
    assert len(service.tasks) == 3


def test_a_task_failing_past_the_deadline_keeps_its_error_alone() -> None:
    service = Service({n: lost_for(0) for n in range(1000)})
    batch = requests("flaky", "fine")

    outcomes = drive(send_batch(RetryPolicy(deadline=0.05), batch, None), service)

    assert outcomes is not None
    assert isinstance(outcomes[0], TransientError)
    assert isinstance(outcomes[1], tuple)


@pytest.mark.parametrize("count", [1, 100])
def test_a_batch_that_fails_as_a_whole_is_repeated_with_its_request_id(
    count: int,
) -> None:
    class Flaky(Service):
        def create_tasks(
            self, requests: Sequence[TaskRequest], request_id: str
        ) -> list[Reply]:
            answers = super().create_tasks(requests, request_id)
            if len(self.calls) == 1:
                raise TransientError("DEADLINE_EXCEEDED", "lost")
            return answers

    service = Flaky()

    outcomes = send(service, requests(*(f"t{i}" for i in range(count))))

    assert all(isinstance(o, tuple) and o[1] == 2 for o in outcomes)
    assert service.calls[0][0] == service.calls[1][0]
    assert len(service.tasks) == count
