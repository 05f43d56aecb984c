"""GetTask, ListTasks (views, paging), DeleteTask, RunTask, and tasks of a queue
that is purged or deleted."""

from __future__ import annotations

import pytest
from google.api_core import exceptions
from google.cloud import tasks_v2
from google.protobuf import timestamp_pb2

from tests.emulator.conftest import START, World, queue_name

View = tasks_v2.Task.View
LATER = timestamp_pb2.Timestamp(seconds=int(START) + 3600)


def names(world: World, queue: str, page_size: int = 0) -> list[str]:
    request = tasks_v2.ListTasksRequest(parent=queue, page_size=page_size)
    return [task.name for task in world.client.list_tasks(request=request)]


def add_many(world: World, queue: str, count: int) -> None:
    """Create `count` tasks a batch of 100 at a time."""
    for start in range(0, count, 100):
        requests = [
            tasks_v2.CreateTaskRequest(
                parent=queue,
                task=tasks_v2.Task(
                    http_request=tasks_v2.HttpRequest(url=world.target.url())
                ),
            )
            for _ in range(min(100, count - start))
        ]
        world.client.batch_create_tasks(parent=queue, requests=requests).result()


def test_basic_views_omit_the_body_and_full_views_show_it(world: World) -> None:
    queue = world.queue()
    world.client.pause_queue(name=queue)
    request = {"body": b"secret", "headers": {"X-A": "1"}}

    basic = world.task(queue, request=request)
    full = world.task(queue, request=request, view=View.FULL)

    assert basic.view == View.BASIC and basic.http_request.body == b""
    assert full.view == View.FULL and full.http_request.body == b"secret"
    assert basic.http_request.headers["X-A"] == "1"  # headers stay in BASIC
    got = world.client.get_task(
        request=tasks_v2.GetTaskRequest(name=basic.name, response_view=View.FULL)
    )
    assert got.http_request.body == b"secret"
    assert world.client.get_task(name=basic.name).http_request.body == b""
    listed = world.client.list_tasks(
        request=tasks_v2.ListTasksRequest(parent=queue, response_view=View.FULL)
    )
    assert {task.http_request.body for task in listed} == {b"secret"}
    assert {t.view for t in world.client.list_tasks(parent=queue)} == {View.BASIC}


def test_list_tasks_pages_through_every_task_once(world: World) -> None:
    queue = world.queue()
    world.client.pause_queue(name=queue)
    add_many(world, queue, 7)

    pager = world.client.list_tasks(
        request=tasks_v2.ListTasksRequest(parent=queue, page_size=3)
    )
    pages = [[task.name for task in page.tasks] for page in pager.pages]

    assert [len(page) for page in pages] == [3, 3, 1]
    assert sorted(name for page in pages for name in page) == names(world, queue)


def test_pages_hold_a_thousand_tasks_by_default_and_at_most(world: World) -> None:
    queue = world.queue()
    world.client.pause_queue(name=queue)
    add_many(world, queue, 1005)

    for size in (0, 5000):
        pager = world.client.list_tasks(
            request=tasks_v2.ListTasksRequest(parent=queue, page_size=size)
        )
        assert [len(page.tasks) for page in pager.pages] == [1000, 5]


def test_a_page_token_only_continues_its_own_listing(world: World) -> None:
    first, second = world.queue("a"), world.queue("b")
    world.client.pause_queue(name=first)
    add_many(world, first, 2)
    page = world.client.list_tasks(
        request=tasks_v2.ListTasksRequest(parent=first, page_size=1)
    )
    token = page.next_page_token

    with pytest.raises(exceptions.InvalidArgument, match="page_token"):
        world.client.list_tasks(
            request=tasks_v2.ListTasksRequest(parent=second, page_token=token)
        )
    with pytest.raises(exceptions.InvalidArgument, match="page_size"):
        world.client.list_tasks(
            request=tasks_v2.ListTasksRequest(parent=first, page_size=-1)
        )


def test_listing_a_missing_queue_is_not_found(world: World) -> None:
    with pytest.raises(exceptions.NotFound, match="Queue does not exist"):
        names(world, queue_name("missing"))


def test_delete_task_removes_it(world: World) -> None:
    queue = world.queue()
    world.client.pause_queue(name=queue)
    keep, drop = world.task(queue), world.task(queue)

    world.client.delete_task(name=drop.name)

    assert names(world, queue) == [keep.name]
    with pytest.raises(exceptions.NotFound, match="Requested entity was not found"):
        world.client.delete_task(name=drop.name)


def test_run_task_dispatches_now_a_task_due_later(world: World) -> None:
    queue = world.queue()
    task = world.task(queue, schedule_time=LATER)
    world.idle()
    assert world.target.received == []

    ran = world.client.run_task(name=task.name)
    world.idle()

    assert ran.name == task.name
    assert len(world.target.received) == 1
    with pytest.raises(exceptions.NotFound, match="Requested entity was not found"):
        world.client.run_task(name=task.name)  # it succeeded: finished


def test_run_task_dispatches_even_on_a_paused_queue(world: World) -> None:
    queue = world.queue()
    world.client.pause_queue(name=queue)
    task = world.task(queue)
    world.idle()
    assert world.target.received == []

    world.client.run_task(name=task.name)
    world.idle()

    assert [r.header("X-CloudTasks-TaskName") for r in world.target.received] == [
        task.name.rsplit("/", 1)[1]
    ]


def test_run_task_ignores_the_rate_limit(world: World) -> None:
    limits = tasks_v2.RateLimits(max_dispatches_per_second=1)  # a burst of 1
    queue = world.queue(rate_limits=limits)
    world.task(queue)
    second = world.task(queue)
    world.idle()
    assert len(world.target.received) == 1

    world.client.run_task(name=second.name)
    world.idle()

    assert len(world.target.received) == 2


def test_purge_drops_the_tasks_created_before_it(world: World) -> None:
    queue = world.queue()
    world.client.pause_queue(name=queue)
    world.task(queue)
    world.clock.advance(1)

    world.client.purge_queue(name=queue)
    world.clock.advance(0.000001)
    after = world.task(queue)

    assert names(world, queue) == [after.name]
    world.client.resume_queue(name=queue)
    world.idle()
    assert len(world.target.received) == 1


def test_deleting_a_queue_deletes_its_tasks(world: World) -> None:
    queue = world.queue()
    world.client.pause_queue(name=queue)
    world.task(queue)

    world.client.delete_queue(name=queue)
    world.queue()  # the same name: the test emulator keeps no queue tombstone

    assert names(world, queue) == []


def test_tasks_are_kept_at_most_31_days(world: World) -> None:
    queue = world.queue()
    world.client.pause_queue(name=queue)
    world.task(queue)

    world.advance(31 * 24 * 3600 - 60)
    assert len(names(world, queue)) == 1
    world.advance(120)  # the retention sweep runs every clock minute

    assert names(world, queue) == []
