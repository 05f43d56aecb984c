"""BatchCreateTasks and BatchDeleteTasks: finished operations, per-item results."""

from __future__ import annotations

import grpc
import pytest
from google.api_core import exceptions
from google.cloud import tasks_v2

from tests.emulator.conftest import World, queue_name

Batch = tasks_v2.BatchCreateTasksMetadata.State
DeleteBatch = tasks_v2.BatchDeleteTasksMetadata.State


def create_request(
    world: World, queue: str, task_id: str = ""
) -> tasks_v2.CreateTaskRequest:
    task = tasks_v2.Task(http_request=tasks_v2.HttpRequest(url=world.target.url()))
    if task_id:
        task.name = f"{queue}/tasks/{task_id}"
    return tasks_v2.CreateTaskRequest(parent=queue, task=task)


@pytest.fixture
def queue(world: World) -> str:
    name = world.queue()
    world.client.pause_queue(name=name)
    return name


def test_a_bad_item_fails_alone_and_the_good_ones_are_created(
    world: World, queue: str
) -> None:
    requests = [
        create_request(world, queue, "first"),
        create_request(world, queue, "not valid"),
        create_request(world, queue, "third"),
    ]

    operation = world.client.batch_create_tasks(parent=queue, requests=requests)
    response = operation.result(timeout=1)

    assert operation.done()
    assert [task.name.rsplit("/", 1)[1] for task in response.tasks] == [
        "first",
        "third",
    ]
    metadata = operation.metadata
    assert metadata.state == Batch.PARTIALLY_SUCCEEDED
    assert list(metadata.failed_requests) == [1]
    failure = metadata.failed_requests[1]
    assert failure.code == grpc.StatusCode.INVALID_ARGUMENT.value[0]
    assert failure.message.startswith('Task ID "not valid" can contain only')
    assert len(list(world.client.list_tasks(parent=queue))) == 2


def test_a_fully_good_batch_succeeds(world: World, queue: str) -> None:
    requests = [create_request(world, queue) for _ in range(100)]

    operation = world.client.batch_create_tasks(parent=queue, requests=requests)

    assert len(operation.result(timeout=1).tasks) == 100
    assert operation.metadata.state == Batch.SUCCEEDED
    assert operation.metadata.start_time and operation.metadata.end_time


def test_a_batch_where_every_item_fails_is_aborted(world: World, queue: str) -> None:
    world.task(queue, name="taken")
    requests = [create_request(world, queue, "taken")] * 2

    operation = world.client.batch_create_tasks(parent=queue, requests=requests)

    with pytest.raises(exceptions.GoogleAPICallError, match="None of the requests"):
        operation.result(timeout=1)
    assert set(operation.metadata.failed_requests) == {0, 1}


def test_more_than_a_hundred_requests_are_refused(world: World, queue: str) -> None:
    requests = [create_request(world, queue) for _ in range(101)]

    with pytest.raises(exceptions.InvalidArgument, match="between 1 and 100"):
        world.client.batch_create_tasks(parent=queue, requests=requests)


def test_every_request_must_name_the_batch_queue(world: World, queue: str) -> None:
    other = world.queue("other")

    with pytest.raises(exceptions.InvalidArgument, match="batch's parent"):
        world.client.batch_create_tasks(
            parent=queue, requests=[create_request(world, other)]
        )


def test_a_batch_for_a_missing_queue_is_not_found(world: World) -> None:
    missing = queue_name("missing")

    with pytest.raises(exceptions.NotFound, match="Queue does not exist"):
        world.client.batch_create_tasks(
            parent=missing, requests=[create_request(world, missing)]
        )


def test_a_retried_request_id_returns_the_first_answer(
    world: World, queue: str
) -> None:
    request = tasks_v2.BatchCreateTasksRequest(
        parent=queue, requests=[create_request(world, queue)], request_id="r-1"
    )

    first = world.client.batch_create_tasks(request=request).result(timeout=1)
    again = world.client.batch_create_tasks(request=request).result(timeout=1)

    assert first == again
    assert len(list(world.client.list_tasks(parent=queue))) == 1


def test_batch_delete_reports_the_names_it_could_not_delete(
    world: World, queue: str
) -> None:
    task = world.task(queue)
    missing = f"{queue}/tasks/missing"

    operation = world.client.batch_delete_tasks(
        request=tasks_v2.BatchDeleteTasksRequest(
            parent=queue, names=[task.name, missing]
        )
    )
    operation.result(timeout=1)

    assert operation.metadata.state == DeleteBatch.PARTIALLY_SUCCEEDED
    assert operation.metadata.failed_requests[1].message == (
        "Requested entity was not found."
    )
    assert list(world.client.list_tasks(parent=queue)) == []
