"""Queue administration through the TaskManager, against the emulator."""

from __future__ import annotations

import pytest

from queuekeeper import QueueOptions, TaskManager
from queuekeeper.emulator import Emulator
from queuekeeper.errors import (
    InvalidArgumentError,
    QueueAlreadyExists,
    QueueNotFound,
)
from tests.client.conftest import LOCATION, PROJECT, MakeManager, queue_path
from tests.emulator.conftest import connect


def test_a_queue_is_created_read_and_listed(own_tm: TaskManager) -> None:
    own_tm.create_queue("alpha", QueueOptions(max_dispatches_per_second=20))
    own_tm.create_queue("beta")

    alpha = own_tm.get_queue("alpha")
    assert (alpha.name, alpha.path) == ("alpha", queue_path("alpha"))
    assert (alpha.state, alpha.max_dispatches_per_second) == ("RUNNING", 20.0)
    assert alpha.max_burst_size == 4
    assert [q.name for q in own_tm.list_queues()] == ["alpha", "beta"]


def test_listing_reads_only_the_managers_project_and_location(
    own_emulator: Emulator, make_manager: MakeManager
) -> None:
    here = make_manager(emulator_host=own_emulator)
    elsewhere = make_manager(emulator_host=own_emulator, location="us-east1")
    here.create_queue("mine")
    elsewhere.create_queue("theirs")

    assert [q.path for q in here.list_queues()] == [queue_path("mine")]


def test_creating_a_queue_that_exists_raises_unless_that_is_ok(
    own_tm: TaskManager,
) -> None:
    own_tm.create_queue("twice")

    with pytest.raises(QueueAlreadyExists) as raised:
        own_tm.create_queue("twice")
    own_tm.create_queue("twice", exist_ok=True)

    assert raised.value.queue == queue_path("twice")


def test_an_update_changes_only_the_fields_given(own_tm: TaskManager) -> None:
    own_tm.create_queue("tuned", QueueOptions(max_concurrent_dispatches=7))

    own_tm.update_queue("tuned", QueueOptions(max_attempts=5))

    tuned = own_tm.get_queue("tuned")
    assert (tuned.max_concurrent_dispatches, tuned.max_attempts) == (7, 5)


def test_an_update_with_no_fields_makes_no_call(
    own_tm: TaskManager, own_emulator: Emulator
) -> None:
    own_tm.create_queue("untouched")
    own_emulator.reset_call_counts()

    own_tm.update_queue("untouched", QueueOptions())

    assert own_emulator.call_counts == {}


def test_pause_resume_purge_and_delete_do_what_they_say(
    own_tm: TaskManager, own_emulator: Emulator
) -> None:
    own_tm.create_queue("life")
    own_tm.run("life", "/p")

    own_tm.pause_queue("life")
    assert own_tm.get_queue("life").state == "PAUSED"
    own_tm.resume_queue("life")
    assert own_tm.get_queue("life").state == "RUNNING"
    own_tm.purge_queue("life")
    with connect(own_emulator) as client:
        assert list(client.list_tasks(parent=queue_path("life"))) == []
    own_tm.delete_queue("life")
    assert own_tm.list_queues() == []


@pytest.mark.parametrize(
    "call", ["get_queue", "pause_queue", "resume_queue", "purge_queue", "delete_queue"]
)
def test_a_missing_queue_is_named_by_its_full_path(
    own_tm: TaskManager, call: str
) -> None:
    with pytest.raises(QueueNotFound) as raised:
        getattr(own_tm, call)("ghost")

    assert raised.value.queue == queue_path("ghost")


def test_a_bad_queue_name_is_refused_before_any_call(
    own_tm: TaskManager, own_emulator: Emulator
) -> None:
    with pytest.raises(InvalidArgumentError, match="queue id"):
        own_tm.create_queue("not a name")

    assert own_emulator.call_counts == {}


def test_the_queue_options_are_the_default_for_an_explicit_create(
    own_emulator: Emulator, make_manager: MakeManager
) -> None:
    tm = make_manager(
        emulator_host=own_emulator, queue_options=QueueOptions(max_attempts=4)
    )

    tm.create_queue("defaulted")

    assert tm.get_queue("defaulted").max_attempts == 4


def test_queue_info_hides_credentials_in_header_overrides(
    own_tm: TaskManager, own_emulator: Emulator
) -> None:
    with connect(own_emulator) as client:
        header = {"key": "Authorization", "value": "Bearer s3"}
        client.create_queue(
            request={
                "parent": f"projects/{PROJECT}/locations/{LOCATION}",
                "queue": {
                    "name": queue_path("guarded"),
                    "http_target": {"header_overrides": [{"header": header}]},
                },
            }
        )

    queue = own_tm.get_queue("guarded")

    assert queue.settings["http_target.header_overrides"] == (
        ("Authorization", "Bearer s3"),
    )
    assert "s3" not in repr(queue)
