"""Pause, resume, purge, delete and the queue-name tombstone."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone

import pytest
from google.api_core import exceptions
from google.cloud import tasks_v2

from queuekeeper.emulator import Emulator
from tests.emulator.conftest import PARENT, CreateQueue, connect, queue_name

Client = tasks_v2.CloudTasksClient
State = tasks_v2.Queue.State
Q1 = queue_name("q1")
QUEUE_NOT_FOUND = (
    "Queue does not exist. If you just created the queue, wait at least a minute "
    "for the queue to initialize."
)
TOMBSTONED = (
    "The queue cannot be created because a queue with this name existed too recently."
)


@pytest.fixture
def tombstoning() -> Iterator[tuple[Emulator, Client]]:
    """An emulator that keeps deleted names for the real seven days."""
    with Emulator(queue_tombstone=timedelta(days=7)) as emu, connect(emu) as client:
        yield emu, client


def test_pause_and_resume_switch_the_state_and_return_the_queue(
    client: Client, create: CreateQueue
) -> None:
    create("q1")

    paused = client.pause_queue(name=Q1)
    assert paused.state == State.PAUSED
    assert client.get_queue(name=Q1).state == State.PAUSED

    resumed = client.resume_queue(name=Q1)
    assert resumed.state == State.RUNNING
    assert resumed.rate_limits == paused.rate_limits


def test_resume_also_reenables_a_disabled_queue(
    emulator: Emulator, client: Client, create: CreateQueue
) -> None:
    create("q1")
    emulator.set_queue_state(Q1, "DISABLED")
    assert client.get_queue(name=Q1).state == State.DISABLED

    assert client.resume_queue(name=Q1).state == State.RUNNING


def test_the_state_hook_refuses_missing_queues_and_unknown_states(
    emulator: Emulator, create: CreateQueue
) -> None:
    create("q1")

    with pytest.raises(KeyError):
        emulator.set_queue_state(queue_name("missing"), "PAUSED")
    with pytest.raises(ValueError, match="unknown queue state"):
        emulator.set_queue_state(Q1, "ASLEEP")


def test_purge_records_the_purge_time_in_microseconds(
    client: Client, create: CreateQueue
) -> None:
    create("q1")
    before = datetime.now(timezone.utc)

    purged = client.purge_queue(name=Q1)

    after = datetime.now(timezone.utc)
    assert before - timedelta(seconds=1) <= purged.purge_time <= after
    assert purged.purge_time.nanosecond % 1000 == 0
    assert client.get_queue(name=Q1).purge_time == purged.purge_time


@pytest.mark.parametrize("rpc", ["pause_queue", "resume_queue", "purge_queue"])
def test_state_changes_on_a_missing_queue_are_not_found(
    client: Client, rpc: str
) -> None:
    with pytest.raises(exceptions.NotFound) as caught:
        getattr(client, rpc)(name=Q1)
    assert caught.value.message == QUEUE_NOT_FOUND


def test_a_deleted_queue_is_gone(client: Client, create: CreateQueue) -> None:
    create("q1")

    client.delete_queue(name=Q1)

    with pytest.raises(exceptions.NotFound):
        client.get_queue(name=Q1)
    assert list(client.list_queues(parent=PARENT)) == []


def test_deleting_a_missing_queue_is_not_found(client: Client) -> None:
    with pytest.raises(exceptions.NotFound) as caught:
        client.delete_queue(name=Q1)
    assert caught.value.message == "Requested entity was not found."


def test_without_a_tombstone_a_deleted_name_can_be_reused_at_once(
    client: Client, create: CreateQueue
) -> None:
    create("q1", retry_config={"max_attempts": 3})
    client.delete_queue(name=Q1)

    assert create("q1").retry_config.max_attempts == 100


def test_a_deleted_name_cannot_be_created_during_its_tombstone(
    tombstoning: tuple[Emulator, Client],
) -> None:
    _, client = tombstoning
    client.create_queue(parent=PARENT, queue=tasks_v2.Queue(name=Q1))
    client.delete_queue(name=Q1)

    with pytest.raises(exceptions.NotFound) as missing:
        client.get_queue(name=Q1)
    with pytest.raises(exceptions.FailedPrecondition) as created:
        client.create_queue(parent=PARENT, queue=tasks_v2.Queue(name=Q1))
    with pytest.raises(exceptions.FailedPrecondition) as upserted:
        client.update_queue(queue=tasks_v2.Queue(name=Q1))

    assert missing.value.message == QUEUE_NOT_FOUND
    assert created.value.message == upserted.value.message == TOMBSTONED
    with pytest.raises(exceptions.NotFound):
        client.delete_queue(name=Q1)


def test_other_names_are_not_affected_by_a_tombstone(
    tombstoning: tuple[Emulator, Client],
) -> None:
    _, client = tombstoning
    client.create_queue(parent=PARENT, queue=tasks_v2.Queue(name=Q1))
    client.delete_queue(name=Q1)

    other = client.create_queue(
        parent=PARENT, queue=tasks_v2.Queue(name=queue_name("q2"))
    )

    assert other.state == State.RUNNING


def test_a_name_is_reusable_once_its_tombstone_expires() -> None:
    tombstone = timedelta(milliseconds=200)
    with Emulator(queue_tombstone=tombstone) as emu, connect(emu) as client:
        client.create_queue(parent=PARENT, queue=tasks_v2.Queue(name=Q1))
        client.delete_queue(name=Q1)
        with pytest.raises(exceptions.FailedPrecondition):
            client.create_queue(parent=PARENT, queue=tasks_v2.Queue(name=Q1))

        time.sleep(0.3)

        queue = client.create_queue(parent=PARENT, queue=tasks_v2.Queue(name=Q1))
        assert queue.name == Q1
