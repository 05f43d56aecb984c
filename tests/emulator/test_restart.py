"""Tasks in a database file outlive the emulator: after a restart each is
dispatched, none twice unless the stop cut its attempt off."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

from google.cloud import tasks_v2
from google.protobuf import duration_pb2, timestamp_pb2

from queuekeeper.emulator import Emulator, ManualClock
from tests.emulator.conftest import START, World, connect
from tests.emulator.target import Answer, Target


@contextmanager
def running(db: Path, clock: ManualClock, target: Target) -> Iterator[World]:
    with Emulator(db, clock=clock) as emulator, connect(emulator) as client:
        yield World(emulator, client, clock, target)


def names(world: World) -> list[str]:
    return [r.header("X-CloudTasks-TaskName") or "" for r in world.target.received]


def test_tasks_accepted_before_a_stop_are_dispatched_after_it(
    tmp_path: Path, clock: ManualClock, target: Target
) -> None:
    db = tmp_path / "emulator.sqlite"
    later = timestamp_pb2.Timestamp(seconds=int(START) + 60)
    with running(db, clock, target) as world:
        queue = world.queue()
        for n in range(3):
            world.task(queue, name=f"now-{n}")
            world.task(queue, name=f"later-{n}", schedule_time=later)
        world.idle()
        assert sorted(names(world)) == ["now-0", "now-1", "now-2"]

    clock.advance(60)
    with running(db, clock, target) as world:
        world.idle()

    assert sorted(names(world)) == [
        f"{when}-{n}" for when in ("later", "now") for n in range(3)
    ]


def test_a_retry_keeps_its_time_and_counts_across_a_restart(
    tmp_path: Path, clock: ManualClock, target: Target
) -> None:
    db = tmp_path / "emulator.sqlite"
    answers = iter([Answer(500), Answer(200)])
    target.answer(lambda request: next(answers))
    retry = tasks_v2.RetryConfig(min_backoff=duration_pb2.Duration(seconds=10))
    with running(db, clock, target) as world:
        world.task(world.queue(retry_config=retry))
        world.idle()

    with running(db, clock, target) as world:
        world.advance(9)
        assert len(target.received) == 1
        world.advance(1)

    first, second = target.received
    assert first.header("X-CloudTasks-TaskRetryCount") == "0"
    assert second.header("X-CloudTasks-TaskRetryCount") == "1"
    assert second.header("X-CloudTasks-TaskPreviousResponse") == "500"
    assert second.header("X-CloudTasks-TaskETA") == f"{int(START) + 10}.000000"


def test_an_attempt_cut_off_by_the_stop_is_made_again(
    tmp_path: Path, clock: ManualClock, target: Target
) -> None:
    db = tmp_path / "emulator.sqlite"
    hold = threading.Event()
    target.answer(Answer(hold=hold))
    try:
        with running(db, clock, target) as world:
            world.task(world.queue(), name="cut")
            target.wait_for(1)
            # Leaving the block stops the emulator while the attempt hangs.
    finally:
        hold.set()

    target.answer(Answer())
    with running(db, clock, target) as world:
        world.idle()
        [record] = world.emulator.dispatch_log

    assert [r.header("X-CloudTasks-TaskRetryCount") for r in target.received] == [
        "0",
        "1",
    ]
    assert record.attempt == 2


def test_an_in_memory_emulator_forgets_its_tasks(target: Target) -> None:
    with Emulator(dispatch=False) as first, connect(first) as client:
        queue = client.create_queue(
            parent="projects/p/locations/l",
            queue=tasks_v2.Queue(name="projects/p/locations/l/queues/q"),
        ).name
        http = tasks_v2.HttpRequest(url=target.url())
        client.create_task(parent=queue, task=tasks_v2.Task(http_request=http))

    with Emulator(queue_tombstone=timedelta(0)) as second:
        assert second.wait_idle(1)
    assert target.received == []
