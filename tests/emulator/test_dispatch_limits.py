"""Dispatch honours each queue's limits: rate, concurrency, backoff, Retry-After,
attempts and retry duration, deadlines; one slow queue does not hold up another."""

from __future__ import annotations

import itertools
import threading
import time
from collections import Counter
from email.utils import formatdate

import pytest
from google.api_core import exceptions
from google.cloud import tasks_v2
from google.protobuf import duration_pb2

from queuekeeper.emulator import Emulator, Outcome
from tests.emulator.conftest import START, World, connect
from tests.emulator.target import Answer, Received, Target

Seconds = duration_pb2.Duration


def retry(**fields: object) -> tasks_v2.RetryConfig:
    return tasks_v2.RetryConfig(**fields)


def create_many(world: World, queue: str, count: int, path: str = "/task") -> None:
    for start in range(0, count, 100):
        requests = [
            tasks_v2.CreateTaskRequest(
                parent=queue,
                task=tasks_v2.Task(
                    http_request=tasks_v2.HttpRequest(url=world.target.url(path))
                ),
            )
            for _ in range(min(100, count - start))
        ]
        world.client.batch_create_tasks(parent=queue, requests=requests).result()


def etas(requests: list[Received]) -> list[float]:
    return [float(r.header("X-CloudTasks-TaskETA") or "nan") for r in requests]


def test_a_queue_dispatches_its_burst_then_at_its_rate(world: World) -> None:
    # 20/s gives a burst of 4 (fields.implied_burst): 4 at once, then 20 a second.
    limits = tasks_v2.RateLimits(max_dispatches_per_second=20)
    queue = world.queue(rate_limits=limits)
    world.client.pause_queue(name=queue)
    create_many(world, queue, 200)
    world.client.resume_queue(name=queue)
    world.idle()
    assert len(world.target.received) == 4

    for _ in range(80):  # 8 simulated seconds in steps shorter than the burst
        world.advance(0.1)

    log = world.emulator.dispatch_log
    per_second = Counter(int(r.start - START) for r in log)
    assert per_second[0] == 4 + 18  # the burst, then 0.1 s .. 0.9 s
    for second in range(1, 8):
        assert 18 <= per_second[second] <= 22, per_second
    assert len(world.target.received) == 4 + 8 * 20


def test_the_rate_holds_in_real_time_too(target: Target) -> None:
    with Emulator() as emulator, connect(emulator) as client:
        parent = "projects/p/locations/l"
        limits = tasks_v2.RateLimits(max_dispatches_per_second=50)
        queue = tasks_v2.Queue(name=f"{parent}/queues/q", rate_limits=limits)
        name = client.create_queue(parent=parent, queue=queue).name
        client.pause_queue(name=name)
        task = tasks_v2.Task(http_request=tasks_v2.HttpRequest(url=target.url()))
        requests = [tasks_v2.CreateTaskRequest(parent=name, task=task)] * 30
        client.batch_create_tasks(parent=name, requests=requests).result()

        client.resume_queue(name=name)
        received = target.wait_for(30)

    # A burst of 10, then 20 more at 50/s: at least 0.4 s from the first to
    # the last. Only the lower bound is checked: a busy machine may be slower,
    # but nothing may make the emulator faster than the rate.
    span = received[-1].at - received[0].at
    assert span >= 0.36


def test_no_more_than_max_concurrent_dispatches_are_in_flight(world: World) -> None:
    limits = tasks_v2.RateLimits(max_concurrent_dispatches=3)
    queue = world.queue(rate_limits=limits)
    world.target.answer(Answer(delay=0.03))

    create_many(world, queue, 12)
    world.idle()

    assert len(world.target.received) == 12
    assert world.target.most_in_flight == 3


def test_backoff_follows_the_documented_intervals_at_the_target(world: World) -> None:
    config = retry(
        max_attempts=9,
        min_backoff=Seconds(seconds=10),
        max_backoff=Seconds(seconds=300),
        max_doublings=3,
    )
    queue = world.queue(retry_config=config)
    world.target.answer(Answer(500))
    began = time.monotonic()

    task = world.task(queue)
    world.idle()
    for interval in (10, 20, 40, 80, 160, 240, 300, 300):
        count = len(world.target.received)
        world.advance(interval - 0.5)
        assert len(world.target.received) == count, "dispatched early"
        world.advance(0.5)
        assert len(world.target.received) == count + 1, "not dispatched on time"

    received = etas(world.target.received)
    gaps = [round(b - a, 6) for a, b in itertools.pairwise(received)]
    assert gaps == [10, 20, 40, 80, 160, 240, 300, 300]
    assert time.monotonic() - began < 1.0
    # Nine attempts were allowed: the task is gone, failed.
    assert world.emulator.dispatch_log[-1].outcome == Outcome.FAILED
    with pytest.raises(exceptions.NotFound, match="existed recently"):
        world.client.get_task(name=task.name)


@pytest.mark.parametrize("status", [429, 503])
def test_retry_after_in_seconds_wins_when_longer_than_the_backoff(
    world: World, status: int
) -> None:
    queue = world.queue(retry_config=retry(min_backoff=Seconds(seconds=10)))
    answers = iter([Answer(status, {"Retry-After": "120"}), Answer(200)])
    world.target.answer(lambda request: next(answers))

    world.task(queue)
    world.idle()
    world.advance(119)
    assert len(world.target.received) == 1
    world.advance(1)

    assert etas(world.target.received) == [START, START + 120]


def test_retry_after_as_an_http_date_is_honoured(world: World) -> None:
    queue = world.queue(retry_config=retry(min_backoff=Seconds(seconds=10)))
    when = formatdate(START + 300, usegmt=True)
    answers = iter([Answer(503, {"Retry-After": when}), Answer(200)])
    world.target.answer(lambda request: next(answers))

    world.task(queue)
    world.idle()
    world.advance(300)

    assert etas(world.target.received) == [START, START + 300]


def test_a_shorter_retry_after_or_one_on_a_500_leaves_the_backoff(world: World) -> None:
    queue = world.queue(retry_config=retry(min_backoff=Seconds(seconds=10)))
    answers = iter(
        [
            Answer(503, {"Retry-After": "1"}),
            Answer(500, {"Retry-After": "100"}),
            Answer(200),
        ]
    )
    world.target.answer(lambda request: next(answers))

    world.task(queue)
    world.idle()
    world.advance(10)
    world.advance(20)

    assert etas(world.target.received) == [START, START + 10, START + 30]


def test_a_task_stops_after_max_attempts(world: World) -> None:
    queue = world.queue(
        retry_config=retry(max_attempts=3, min_backoff=Seconds(seconds=1))
    )
    world.target.answer(Answer(500))

    task = world.task(queue, name="doomed")
    world.idle()
    world.advance(1)
    world.advance(2)
    world.advance(600)

    assert len(world.target.received) == 3
    assert [r.outcome for r in world.emulator.dispatch_log] == [
        Outcome.RETRYING,
        Outcome.RETRYING,
        Outcome.FAILED,
    ]
    with pytest.raises(exceptions.AlreadyExists):
        world.task(queue, name="doomed")
    assert task.name


def test_it_keeps_retrying_until_the_retry_duration_is_reached_too(
    world: World,
) -> None:
    config = retry(
        max_attempts=2,
        max_retry_duration=Seconds(seconds=60),
        min_backoff=Seconds(seconds=10),
    )
    queue = world.queue(retry_config=config)
    world.target.answer(Answer(500))

    world.task(queue)
    world.idle()
    for _ in range(20):
        world.advance(10)

    # Attempts at 0, 10, 30 and 70 s: only at 70 s are both limits reached.
    assert etas(world.target.received) == [START, START + 10, START + 30, START + 70]


def test_a_task_level_retry_config_overrides_the_queue(world: World) -> None:
    queue = world.queue(retry_config=retry(min_backoff=Seconds(seconds=100)))
    world.target.answer(Answer(500))

    own = retry(max_attempts=2, min_backoff=Seconds(seconds=5))
    world.task(queue, retry_config=own)
    world.idle()
    world.advance(5)
    world.advance(500)

    assert etas(world.target.received) == [START, START + 5]


def test_an_attempt_times_out_at_its_dispatch_deadline(world: World) -> None:
    queue = world.queue(retry_config=retry(min_backoff=Seconds(seconds=1)))
    hold = threading.Event()
    world.target.answer(Answer(hold=hold))
    try:
        world.task(queue, dispatch_deadline=Seconds(seconds=15))
        world.target.wait_for(1)
        # Not idle while the attempt is in flight: only the clock is moved.
        world.clock.advance(14.9)
        assert not world.emulator.wait_idle(0.05)
        assert world.emulator.dispatch_log == []

        world.clock.advance(0.1)
        assert world.emulator.wait_idle(5)
        [record] = world.emulator.dispatch_log
    finally:
        hold.set()
    assert (record.status, record.error) == (None, "deadline exceeded")
    assert (record.end, record.outcome) == (START + 15, Outcome.RETRYING)


def test_a_refused_connection_is_retried(world: World) -> None:
    queue = world.queue(retry_config=retry(min_backoff=Seconds(seconds=1)))
    world.client.create_task(
        parent=queue,
        task=tasks_v2.Task(
            http_request=tasks_v2.HttpRequest(url="http://127.0.0.1:1/")
        ),
    )
    world.idle()
    world.advance(1)

    first, second = world.emulator.dispatch_log
    assert (first.status, first.error) == (None, "connection refused")
    assert second.attempt == 2


def test_a_slow_target_on_one_queue_does_not_delay_another(world: World) -> None:
    hold = threading.Event()
    world.target.answer(
        lambda request: Answer(hold=hold) if request.path == "/slow" else Answer()
    )
    slow, fast = world.queue("slow"), world.queue("fast")
    try:
        create_many(world, slow, 20, "/slow")
        world.target.wait_for(20)
        began = time.monotonic()
        world.task(fast, "/fast")
        arrived = world.target.wait_for(21)
        waited = time.monotonic() - began
    finally:
        hold.set()

    assert arrived[-1].path == "/fast"
    assert waited < 0.5
    world.idle()
    assert len(world.emulator.dispatch_log) == 21
