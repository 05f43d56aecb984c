"""Dispatch delivers each task to its target: method, body, headers, queue-level
overrides; paused queues hold; record-only mode sends nothing."""

from __future__ import annotations

from google.cloud import tasks_v2

from queuekeeper.emulator import Emulator, Outcome
from tests.emulator.conftest import START, World, connect, queue_name
from tests.emulator.target import Answer, Target

Method = tasks_v2.HttpMethod


def short(name: str) -> str:
    return name.rsplit("/", 1)[1]


def test_a_task_arrives_with_its_method_body_and_headers(world: World) -> None:
    queue = world.queue()
    headers = {"Content-Type": "application/json", "X-Trace": "t-1"}
    request = {"http_method": Method.PUT, "body": b'{"a":1}', "headers": headers}

    task = world.task(queue, "/orders?x=1", request=request)
    world.idle()

    [got] = world.target.received
    assert (got.method, got.path, got.body) == ("PUT", "/orders?x=1", b'{"a":1}')
    assert got.header("Content-Type") == "application/json"
    assert got.header("X-Trace") == "t-1"
    assert got.header("User-Agent") == "Google-Cloud-Tasks"
    assert got.header("X-CloudTasks-QueueName") == "q"
    assert got.header("X-CloudTasks-TaskName") == short(task.name)
    assert got.header("X-CloudTasks-TaskRetryCount") == "0"
    assert got.header("X-CloudTasks-TaskExecutionCount") == "0"
    assert got.header("X-CloudTasks-TaskETA") == f"{int(START)}.000000"
    assert got.header("X-CloudTasks-TaskPreviousResponse") is None
    assert got.header("X-CloudTasks-TaskRetryReason") is None


def test_retries_carry_the_previous_response_and_count_executions_without_5xx(
    world: World,
) -> None:
    queue = world.queue(retry_config=tasks_v2.RetryConfig(min_backoff={"seconds": 1}))
    answers = iter([Answer(503), Answer(404), Answer(200)])
    world.target.answer(lambda request: next(answers))

    world.task(queue)
    world.idle()
    world.advance(1)
    world.advance(2)

    first, second, third = world.target.received
    counts = [
        (
            r.header("X-CloudTasks-TaskRetryCount"),
            r.header("X-CloudTasks-TaskExecutionCount"),
            r.header("X-CloudTasks-TaskPreviousResponse"),
            r.header("X-CloudTasks-TaskRetryReason"),
        )
        for r in (first, second, third)
    ]
    # As recorded against production (facts: tasks).
    assert counts == [
        ("0", "0", None, None),
        ("1", "0", "503", ""),
        ("2", "1", "404", ""),
    ]
    assert second.header("X-CloudTasks-TaskETA") == f"{int(START) + 1}.000000"


def test_every_attempt_is_in_the_dispatch_log(world: World) -> None:
    queue = world.queue(retry_config=tasks_v2.RetryConfig(min_backoff={"seconds": 5}))
    answers = iter([Answer(500), Answer(201)])
    world.target.answer(lambda request: next(answers))

    task = world.task(queue, "/log")
    world.idle()
    world.advance(5)

    first, second = world.emulator.dispatch_log
    assert (first.task, first.queue, first.attempt) == (task.name, queue, 1)
    assert (first.url, first.method) == (world.target.url("/log"), "POST")
    assert (first.status, first.error, first.outcome) == (500, "", Outcome.RETRYING)
    assert (first.start, first.end) == (START, START)
    assert (second.attempt, second.status, second.outcome) == (
        2,
        201,
        Outcome.SUCCEEDED,
    )
    assert second.start == START + 5
    assert list(world.client.list_tasks(parent=queue)) == []


def test_the_task_shows_its_attempts_while_it_retries(world: World) -> None:
    queue = world.queue(retry_config=tasks_v2.RetryConfig(min_backoff={"seconds": 5}))
    world.target.answer(Answer(404))

    task = world.task(queue)
    world.idle()

    seen = tasks_v2.Task.pb(world.client.get_task(name=task.name))
    assert (seen.dispatch_count, seen.response_count) == (1, 1)
    assert seen.first_attempt.dispatch_time.seconds == int(START)
    assert not seen.first_attempt.HasField("response_time")
    assert seen.last_attempt.response_status.code == 5  # NOT_FOUND
    assert seen.schedule_time.seconds == int(START) + 5


def test_queue_overrides_replace_path_query_method_and_headers(world: World) -> None:
    target = tasks_v2.HttpTarget(
        uri_override=tasks_v2.UriOverride(
            path_override=tasks_v2.PathOverride(path="/over"),
            query_override=tasks_v2.QueryOverride(query_params="a=b"),
        ),
        http_method=Method.PATCH,
        header_overrides=[
            tasks_v2.HttpTarget.HeaderOverride(
                header=tasks_v2.HttpTarget.Header(key="X-Env", value="queue")
            )
        ],
    )
    queue = world.queue(http_target=target)

    world.task(queue, "/mine?q=1", request={"headers": {"x-env": "task"}})
    world.idle()

    [got] = world.target.received
    assert (got.method, got.path) == ("PATCH", "/over?a=b")
    assert got.header("X-Env") == "queue"


def test_a_port_override_redirects_every_task(world: World) -> None:
    port = int(world.target.base.rsplit(":", 1)[1])
    override = tasks_v2.UriOverride(port=port)
    queue = world.queue(http_target=tasks_v2.HttpTarget(uri_override=override))

    world.client.create_task(
        parent=queue,
        task=tasks_v2.Task(
            http_request=tasks_v2.HttpRequest(url="http://127.0.0.1:1/p")
        ),
    )
    world.idle()

    assert [r.path for r in world.target.received] == ["/p"]


def test_if_not_exists_fills_only_what_the_task_url_lacks(world: World) -> None:
    mode = tasks_v2.UriOverride.UriOverrideEnforceMode.IF_NOT_EXISTS
    override = tasks_v2.UriOverride(
        path_override=tasks_v2.PathOverride(path="/default"),
        uri_override_enforce_mode=mode,
    )
    queue = world.queue(http_target=tasks_v2.HttpTarget(uri_override=override))

    world.task(queue, "/own")
    world.task(queue, "")
    world.idle()

    assert sorted(r.path for r in world.target.received) == ["/default", "/own"]


def test_a_paused_queue_holds_its_tasks_until_resumed(world: World) -> None:
    queue = world.queue()
    world.client.pause_queue(name=queue)

    world.task(queue)
    world.advance(60)
    assert world.target.received == []

    world.client.resume_queue(name=queue)
    world.idle()
    assert len(world.target.received) == 1


def test_a_disabled_queue_holds_its_tasks_too(world: World) -> None:
    queue = world.queue()
    world.emulator.set_queue_state(queue, "DISABLED")

    world.task(queue)
    world.advance(60)

    assert world.target.received == []


def test_a_redirect_is_not_followed_but_retried(world: World) -> None:
    queue = world.queue()
    world.target.answer(Answer(302, {"Location": world.target.url("/elsewhere")}))

    world.task(queue)
    world.idle()

    assert [r.path for r in world.target.received] == ["/task"]
    [record] = world.emulator.dispatch_log
    assert (record.status, record.outcome) == (302, Outcome.RETRYING)


def test_record_only_mode_keeps_tasks_and_sends_nothing(target: Target) -> None:
    with Emulator(dispatch=False) as emulator, connect(emulator) as client:
        queue = client.create_queue(
            parent="projects/p/locations/l",
            queue=tasks_v2.Queue(name=queue_name("q", "projects/p/locations/l")),
        ).name
        http = tasks_v2.HttpRequest(url=target.url())
        task = client.create_task(parent=queue, task=tasks_v2.Task(http_request=http))
        client.run_task(name=task.name)

        assert emulator.wait_idle(1)
        assert [t.name for t in client.list_tasks(parent=queue)] == [task.name]
    assert target.received == []
    assert emulator.dispatch_log == []


def test_a_body_without_a_content_type_is_sent_as_octet_stream(world: World) -> None:
    queue = world.queue()
    world.task(queue, request={"body": b"\x00raw"})
    world.task(queue, request={"http_method": Method.GET})
    world.idle()

    with_body, without = sorted(world.target.received, key=lambda r: r.method)[::-1]
    assert with_body.header("Content-Type") == "application/octet-stream"
    assert without.header("Content-Type") is None
