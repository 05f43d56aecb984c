"""Task names are unique while a task lives and for a tombstone window after."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from google.api_core import exceptions
from google.cloud import tasks_v2

from queuekeeper.emulator import Emulator, ManualClock
from tests.emulator.conftest import START, World, connect
from tests.emulator.target import Answer, Target

EXISTS = "Requested entity already exists"
GONE = (
    "The task no longer exists, though a task with this name existed recently. "
    "The task either successfully completed or was deleted."
)
ENTITY_NOT_FOUND = "Requested entity was not found."


def test_a_live_name_cannot_be_used_twice(world: World) -> None:
    queue = world.queue()
    world.client.pause_queue(name=queue)
    world.task(queue, name="once")

    with pytest.raises(exceptions.AlreadyExists) as caught:
        world.task(queue, name="once")

    assert caught.value.message == EXISTS


def test_a_deleted_name_is_kept_for_the_default_hour(world: World) -> None:
    queue = world.queue()
    world.client.pause_queue(name=queue)
    task = world.task(queue, name="once")
    world.client.delete_task(name=task.name)

    with pytest.raises(exceptions.AlreadyExists, match=EXISTS):
        world.task(queue, name="once")
    with pytest.raises(exceptions.NotFound) as caught:
        world.client.get_task(name=task.name)
    assert caught.value.message == GONE

    world.clock.advance(3600)
    assert world.task(queue, name="once").name == task.name


def test_a_task_that_succeeded_leaves_its_name_behind(world: World) -> None:
    queue = world.queue()
    task = world.task(queue, name="done")
    world.idle()

    assert len(world.target.received) == 1
    with pytest.raises(exceptions.NotFound, match="existed recently"):
        world.client.get_task(name=task.name)
    with pytest.raises(exceptions.AlreadyExists):
        world.task(queue, name="done")


def test_a_name_never_used_is_simply_not_found(world: World) -> None:
    queue = world.queue()

    for call in (world.client.get_task, world.client.delete_task):
        with pytest.raises(exceptions.NotFound) as caught:
            call(name=f"{queue}/tasks/never")
        assert caught.value.message == ENTITY_NOT_FOUND


@pytest.fixture
def no_tombstone(
    target: Target,
) -> Iterator[tuple[Emulator, tasks_v2.CloudTasksClient]]:
    with (
        Emulator(task_tombstone=timedelta(0), clock=ManualClock(START)) as emu,
        connect(emu) as client,
    ):
        yield emu, client


def test_a_zero_tombstone_frees_a_name_at_once(
    no_tombstone: tuple[Emulator, tasks_v2.CloudTasksClient], target: Target
) -> None:
    emulator, client = no_tombstone
    queue = client.create_queue(
        parent="projects/p/locations/l",
        queue=tasks_v2.Queue(name="projects/p/locations/l/queues/q"),
    ).name
    task = tasks_v2.Task(
        name=f"{queue}/tasks/again",
        http_request=tasks_v2.HttpRequest(url=target.url()),
    )
    target.answer(Answer(204))

    client.create_task(parent=queue, task=task)
    assert emulator.wait_idle(5)
    client.create_task(parent=queue, task=task)
    assert emulator.wait_idle(5)

    assert len(target.received) == 2
