"""CreateTask: names, output fields, every validation with its code and message."""

from __future__ import annotations

import re
from typing import Any

import grpc
import pytest
from google.api_core import exceptions
from google.cloud import tasks_v2
from google.protobuf import duration_pb2, timestamp_pb2

from tests.emulator.conftest import PARENT, START, World, queue_name

Method = tasks_v2.HttpMethod
DAY = 24 * 3600
QUEUE_NOT_FOUND = (
    "Queue does not exist. If you just created the queue, wait at least a minute "
    "for the queue to initialize."
)


def at(seconds: float) -> timestamp_pb2.Timestamp:
    stamp = timestamp_pb2.Timestamp()
    stamp.FromNanoseconds(round(seconds * 1e9))
    return stamp


def refused(
    world: World, queue: str, task: tasks_v2.Task
) -> exceptions.GoogleAPICallError:
    with pytest.raises(exceptions.GoogleAPICallError) as caught:
        world.client.create_task(parent=queue, task=task)
    return caught.value


def http(url: str = "http://127.0.0.1:1/t", **fields: Any) -> tasks_v2.Task:
    return tasks_v2.Task(http_request=tasks_v2.HttpRequest(url=url, **fields))


def test_an_unnamed_task_gets_a_long_numeric_id_in_its_queue(world: World) -> None:
    queue = world.queue()
    world.client.pause_queue(name=queue)

    first = world.task(queue)
    second = world.task(queue)

    assert re.fullmatch(rf"{queue}/tasks/\d{{19}}", first.name)
    assert first.name != second.name


def test_a_named_task_keeps_its_name(world: World) -> None:
    queue = world.queue()
    world.client.pause_queue(name=queue)

    task = world.task(queue, name="order-42_v2")

    assert task.name == f"{queue}/tasks/order-42_v2"
    assert world.client.get_task(name=task.name).name == task.name


def test_output_fields_are_filled_and_truncated_as_documented(world: World) -> None:
    world.clock.advance(0.123456789)
    queue = world.queue()
    world.client.pause_queue(name=queue)

    task = world.task(queue)

    raw = tasks_v2.Task.pb(task)
    assert raw.create_time.seconds == int(START) and raw.create_time.nanos == 0
    assert raw.schedule_time.ToMicroseconds() == int((START + 0.123456789) * 1e6)
    assert raw.dispatch_deadline.seconds == 600
    assert task.dispatch_count == 0 and task.response_count == 0
    assert not raw.HasField("first_attempt") and not raw.HasField("last_attempt")
    assert task.http_request.http_method == Method.POST
    assert task.view == tasks_v2.Task.View.BASIC


def test_a_past_schedule_time_becomes_now_and_a_future_one_is_kept(
    world: World,
) -> None:
    queue = world.queue()
    world.client.pause_queue(name=queue)

    past = world.task(queue, schedule_time=at(START - 3600))
    future_time = timestamp_pb2.Timestamp(seconds=int(START) + 3600, nanos=500_001_900)
    future = world.task(queue, schedule_time=future_time)

    assert tasks_v2.Task.pb(past).schedule_time.ToMicroseconds() == int(START * 1e6)
    # Truncated to the microsecond.
    kept = tasks_v2.Task.pb(future).schedule_time
    assert (kept.seconds, kept.nanos) == (int(START) + 3600, 500_001_000)


def test_the_limits_themselves_are_accepted(world: World) -> None:
    queue = world.queue()
    world.client.pause_queue(name=queue)

    world.task(queue, schedule_time=at(START + 30 * DAY))
    shortest = world.task(queue, dispatch_deadline=duration_pb2.Duration(seconds=15))
    longest = world.task(queue, dispatch_deadline=duration_pb2.Duration(seconds=1800))

    assert tasks_v2.Task.pb(shortest).dispatch_deadline.seconds == 15
    assert tasks_v2.Task.pb(longest).dispatch_deadline.seconds == 1800


def test_host_and_content_length_are_dropped_and_user_agent_is_replaced(
    world: World,
) -> None:
    queue = world.queue()
    world.client.pause_queue(name=queue)
    headers = {
        "Host": "elsewhere",
        "content-length": "3",
        "user-agent": "mine",
        "X-Mixed-Case": "kept",
    }

    task = world.task(queue, request={"headers": headers})

    assert dict(task.http_request.headers) == {
        "User-Agent": "Google-Cloud-Tasks",
        "X-Mixed-Case": "kept",
    }


BAD_ID = (
    'Task ID "not a valid id" can contain only letters ([A-Za-z]), numbers ([0-9]), '
    "hyphens (-), or underscores (_). Task ID must between 1 and 500 characters."
)
INVALID = grpc.StatusCode.INVALID_ARGUMENT
NOT_ALLOWED = "only POST, PUT and PATCH requests may carry a body"


@pytest.mark.parametrize(
    ("task", "message"),
    [
        pytest.param(
            tasks_v2.Task(name=f"{queue_name('q')}/tasks/not a valid id"),
            BAD_ID,
            id="bad-id",
        ),
        pytest.param(
            tasks_v2.Task(name=f"{queue_name('q')}/tasks/{'x' * 501}"),
            "Task ID must between 1 and 500 characters.",
            id="id-too-long",
        ),
        pytest.param(
            tasks_v2.Task(name=f"{queue_name('q')}/tasks/"),
            'Task ID "" can contain only letters',
            id="empty-id",
        ),
        pytest.param(
            tasks_v2.Task(name="tasks/x"),
            'Task name must be formatted: "projects/<PROJECT_ID>/locations/'
            '<LOCATION_ID>/queues/<QUEUE_ID>/tasks/<TASK_ID>"',
            id="bad-name",
        ),
        pytest.param(
            tasks_v2.Task(name=f"{queue_name('other')}/tasks/t1"),
            f"The queue name from request ('{queue_name('q')}') must be the same "
            f"as the queue name in the named task ('{queue_name('other')}').",
            id="other-queue",
        ),
        pytest.param(http(url=""), "HttpRequest.url is required.", id="no-url"),
        pytest.param(
            http(url="ftp://example.com/x"),
            "HttpTarget.url must start with 'http://' or 'https://'.",
            id="ftp-url",
        ),
        pytest.param(
            http(url="example.com/x"),
            "HttpTarget.url must start with 'http://' or 'https://'.",
            id="no-scheme",
        ),
        pytest.param(
            http(url="https://example.com/" + "a" * 2064),
            "must be at most 2083 characters",
            id="long-url",
        ),
        pytest.param(
            http(url="http://example.com:99999/"), "not a valid URL", id="bad-port"
        ),
        pytest.param(
            http(http_method=Method.GET, body=b"x"),
            f"HttpRequest.body is not allowed with HTTP method GET: {NOT_ALLOWED}.",
            id="get-body",
        ),
        pytest.param(
            http(http_method=Method.HEAD, body=b"x"), "method HEAD", id="head-body"
        ),
        pytest.param(
            http(http_method=Method.DELETE, body=b"x"), "method DELETE", id="del-body"
        ),
        pytest.param(
            http(http_method=Method.OPTIONS, body=b"x"), "method OPTIONS", id="opt-body"
        ),
        pytest.param(
            tasks_v2.Task(
                http_request=http().http_request,
                schedule_time=at(START + 30 * DAY + 1),
            ),
            "Task.scheduleTime must be at most 30 days in the future.",
            id="too-far-ahead",
        ),
        pytest.param(
            tasks_v2.Task(
                http_request=http().http_request,
                dispatch_deadline=duration_pb2.Duration(seconds=14, nanos=999_000_000),
            ),
            "Task.dispatchDeadline must be between 15 seconds and 30 minutes "
            "for HTTP tasks.",
            id="deadline-short",
        ),
        pytest.param(
            tasks_v2.Task(
                http_request=http().http_request,
                dispatch_deadline=duration_pb2.Duration(seconds=1801),
            ),
            "Task.dispatchDeadline must be between 15 seconds and 30 minutes",
            id="deadline-long",
        ),
        pytest.param(
            http(headers={"X-Google-Thing": "1"}),
            'HttpRequest.headers must not set "X-Google-Thing": X-Google-* and '
            "X-AppEngine-* headers are reserved for Google.",
            id="x-google",
        ),
        pytest.param(
            http(headers={"x-appengine-country": "NL"}),
            'must not set "x-appengine-country"',
            id="x-appengine",
        ),
        pytest.param(
            http(headers={"X-Big": "v" * 80 * 1024}),
            "HttpRequest.headers must total less than 80 KB.",
            id="big-headers",
        ),
        pytest.param(
            http(body=b"b" * (1024 * 1024)),
            "the maximum for HTTP tasks is 1048576 bytes (1 MB).",
            id="too-big",
        ),
        pytest.param(
            http(oidc_token=tasks_v2.OidcToken(audience="a")),
            "HttpRequest.oidcToken.serviceAccountEmail is required.",
            id="oidc-no-email",
        ),
        pytest.param(tasks_v2.Task(), "Task.httpRequest is required.", id="no-target"),
    ],
)
def test_create_task_refuses_what_the_api_refuses(
    world: World, task: tasks_v2.Task, message: str
) -> None:
    queue = world.queue("q")

    error = refused(world, queue, task)

    assert error.grpc_status_code == INVALID
    assert message in error.message


def test_app_engine_tasks_are_not_supported(world: World) -> None:
    queue = world.queue()
    task = tasks_v2.Task(
        app_engine_http_request=tasks_v2.AppEngineHttpRequest(relative_uri="/x")
    )

    error = refused(world, queue, task)

    assert error.grpc_status_code == grpc.StatusCode.UNIMPLEMENTED
    assert "App Engine tasks are not supported" in error.message


def test_a_missing_queue_is_not_found_with_the_queue_message(world: World) -> None:
    error = refused(world, queue_name("missing"), http())

    assert error.grpc_status_code == grpc.StatusCode.NOT_FOUND
    assert error.message == QUEUE_NOT_FOUND


def test_a_malformed_parent_is_invalid(world: World) -> None:
    error = refused(world, f"{PARENT}/queues/bad_id", http())

    assert error.grpc_status_code == INVALID
    assert error.message.startswith("Queue name must be formatted")
