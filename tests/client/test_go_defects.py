"""Regression tests: the defects of the Go TaskManager v3 this one replaces.

One test per defect, named after what must hold instead.
"""

from __future__ import annotations

import logging
from datetime import timedelta

import grpc
import pytest

from queuekeeper import QueueOptions, TaskManager, with_headers, with_method
from queuekeeper.emulator import Emulator
from queuekeeper.errors import ConfigError, QueuekeeperError
from tests.client.conftest import API_KEY, MakeManager
from tests.emulator.conftest import connect
from tests.emulator.target import Target


def test_the_method_option_is_sent_instead_of_always_post(
    tm: TaskManager, target: Target, queue: str
) -> None:
    tm.run(queue, "/put", with_method("PUT"), payload={"a": 1})
    tm.run(queue, "/delete", method="DELETE")

    methods = {seen.path: seen.method for seen in target.wait_for(2)}
    assert methods == {"/v1/put": "PUT", "/v1/delete": "DELETE"}


def test_listing_queues_returns_the_queues(own_tm: TaskManager) -> None:
    own_tm.create_queue("first")
    own_tm.run("second", "/p")

    assert [queue.name for queue in own_tm.list_queues()] == ["first", "second"]


def test_a_malformed_base_url_is_an_error_at_construction_not_a_dead_process() -> None:
    with pytest.raises(ConfigError) as raised:
        TaskManager(project="p", location="europe-west1", base_url="htp:/broken")

    assert isinstance(raised.value, QueuekeeperError)
    assert "base_url" in str(raised.value)


def test_test_mode_needs_no_credentials_and_queue_operations_honour_it(
    monkeypatch: pytest.MonkeyPatch, make_manager: MakeManager
) -> None:
    monkeypatch.delenv("CLOUD_TASKS_EMULATOR_HOST", raising=False)
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", "/nonexistent.json")
    monkeypatch.setenv("TEST_MODE", "true")
    tm = make_manager()

    tm.create_queue("q")
    tm.pause_queue("q")
    tm.resume_queue("q")
    tm.purge_queue("q")
    tm.run("q", "/p")
    tm.delete_queue("q")

    actions = [op.action for op in tm.outbox.queue_operations]
    assert actions == ["create", "pause", "resume", "purge", "delete"]
    assert tm.list_queues() == []


def test_auto_create_reads_the_status_not_the_text_and_survives_a_race(
    own_emulator: Emulator, make_manager: MakeManager
) -> None:
    tm = make_manager(emulator_host=own_emulator)
    # NOT_FOUND with the fault's own text; then CreateQueue makes the queue
    # but answers ALREADY_EXISTS, as when another caller wins the race.
    own_emulator.inject_fault(
        "CreateQueue", grpc.StatusCode.ALREADY_EXISTS, count=1, when="after"
    )

    result = tm.run("raced", "/p")

    with connect(own_emulator) as client:
        tasks = [
            t.name for t in client.list_tasks(parent=result.name.split("/tasks")[0])
        ]
    assert tasks == [result.name]


def test_the_created_task_and_the_auth_key_are_never_printed_or_logged(
    tm: TaskManager,
    target: Target,
    queue: str,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)

    result = tm.run(queue, "/p", payload={"secret-payload": 1}, name="t-1")
    target.wait_for(1)

    captured = capsys.readouterr()
    assert (captured.out, captured.err) == ("", "")
    assert API_KEY not in caplog.text
    assert "secret-payload" not in caplog.text
    assert API_KEY not in repr(result) and API_KEY not in repr(tm)


def test_the_callers_options_and_headers_are_left_as_they_were(
    tm: TaskManager, target: Target, queue: str
) -> None:
    headers = {"X-Trace": "t-1"}
    payload = {"user_id": "123"}
    preset = with_headers(headers) + with_method("PUT")
    before = (dict(headers), dict(payload), preset)

    tm.run(queue, "/a", preset, payload=payload, delay=timedelta(seconds=0))
    tm.run(queue, "/b", preset, headers=headers, payload=payload)

    assert (headers, payload, preset) == before
    assert preset == with_headers({"X-Trace": "t-1"}) + with_method("PUT")
    assert all(s.header("X-API-Key") == API_KEY for s in target.wait_for(2))


@pytest.mark.parametrize("unlimited", [-1, "unlimited"])
def test_unlimited_attempts_can_be_set(
    own_emulator: Emulator, make_manager: MakeManager, unlimited: int | str
) -> None:
    options = QueueOptions(max_attempts=unlimited)  # type: ignore[arg-type]
    tm = make_manager(emulator_host=own_emulator, queue_options=options)

    tm.run("forever", "/p")
    tm.create_queue("explicit", QueueOptions(max_attempts=-1))

    assert tm.get_queue("forever").max_attempts == -1
    assert tm.get_queue("explicit").max_attempts == -1
