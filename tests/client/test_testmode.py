"""Test mode: nothing leaves the process, everything is recorded, and the
same validation applies."""

from __future__ import annotations

import logging
import subprocess
import sys
from datetime import timedelta

import pytest

from queuekeeper import QueueOptions
from queuekeeper.client import RecordedQueueOperation
from queuekeeper.emulator import Emulator
from queuekeeper.errors import (
    ConfigError,
    InvalidTask,
    QueueNotFound,
    QueueRecentlyDeleted,
    TaskAlreadyExists,
)
from tests.client.conftest import API_KEY, MakeManager, queue_path

NO_NETWORK = """\
import os, sys
os.environ.pop("CLOUD_TASKS_EMULATOR_HOST", None)
os.environ["GOOGLE_APPLICATION_CREDENTIALS"] = "/nonexistent/credentials.json"
os.environ["TEST_MODE"] = "true"
from queuekeeper import TaskManager
with TaskManager(project="p", location="europe-west1",
                 base_url="https://api.example.com", auth_key="k") as tm:
    tm.run("user-notifications", "/api/webhooks/send-welcome-email",
           payload={"user_id": "123"})
    tm.pause_queue("user-notifications")
    assert [q.state for q in tm.list_queues()] == ["PAUSED"]
    assert len(tm.outbox) == 1
loaded = sorted(m for m in sys.modules if m.startswith(("grpc", "google")))
print("loaded:", loaded)
"""


def test_test_mode_needs_no_credentials_and_never_loads_grpc() -> None:
    done = subprocess.run(
        [sys.executable, "-c", NO_NETWORK], capture_output=True, text=True, timeout=60
    )

    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "loaded: []"


def test_nothing_reaches_an_emulator_in_test_mode(
    cloud_tasks_emulator: Emulator, make_manager: MakeManager, queue: str
) -> None:
    before = cloud_tasks_emulator.call_counts
    tm = make_manager(test_mode=True)  # $CLOUD_TASKS_EMULATOR_HOST is set

    tm.run(queue, "/p", payload={"a": 1})
    tm.create_queue(queue + "-x")
    tm.get_queue(queue)
    tm.list_queues()

    assert cloud_tasks_emulator.call_counts == before


def test_the_environment_variable_turns_test_mode_on(
    make_manager: MakeManager, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TEST_MODE", "True")

    assert make_manager().test_mode
    assert not make_manager(test_mode=False).test_mode


def test_an_unreadable_test_mode_variable_is_refused(
    make_manager: MakeManager, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TEST_MODE", "sometimes")

    with pytest.raises(ConfigError, match="TEST_MODE"):
        make_manager()


def test_each_task_is_recorded_with_its_secrets_redacted(
    make_manager: MakeManager,
) -> None:
    tm = make_manager(test_mode=True)

    result = tm.run(
        "billing-tasks",
        "/api/webhooks/billing-reminder",
        payload={"user_id": "123"},
        method="PUT",
        delay=timedelta(minutes=5),
        headers={"Authorization": "Basic dXNlcjpwdw==", "X-Trace": "t-1"},
        name="reminder-123",
    )

    [task] = tm.outbox
    assert task.queue == "billing-tasks"
    assert (
        task.name == result.name == queue_path("billing-tasks") + "/tasks/reminder-123"
    )
    assert task.url == result.url
    assert task.method == "PUT"
    assert task.payload == {"user_id": "123"}
    assert task.header("x-api-key") == "(redacted)"
    assert task.header("Authorization") == "(redacted)"
    assert task.header("X-Trace") == "t-1"
    assert task.header("Content-Type") == "application/json"
    assert task.schedule_time == result.schedule_time is not None
    assert API_KEY not in repr(task)
    assert result.test_mode


def test_the_outbox_filters_by_queue_and_clears(make_manager: MakeManager) -> None:
    tm = make_manager(test_mode=True)
    tm.run("a", "/1", payload="one")
    tm.run("b", "/2")
    tm.run("a", "/3", payload=b"\xff")

    assert [t.payload for t in tm.outbox.for_queue("a")] == ["one", b"\xff"]
    assert len(tm.outbox.for_queue(queue_path("b"))) == 1
    assert tm.outbox[-1].url.endswith("/v1/3")
    tm.outbox.clear()
    assert len(tm.outbox) == 0 and tm.outbox.queue_operations == []


def test_queue_operations_are_recorded_and_answered_from_what_test_mode_knows(
    make_manager: MakeManager,
) -> None:
    tm = make_manager(test_mode=True, queue_options=QueueOptions(max_attempts=-1))

    tm.run("auto", "/p")
    tm.create_queue("made", QueueOptions(max_concurrent_dispatches=3))
    tm.update_queue("made", QueueOptions(max_attempts=2))
    tm.pause_queue("made")
    tm.purge_queue("made")

    assert [(q.name, q.state) for q in tm.list_queues()] == [
        ("auto", "RUNNING"),
        ("made", "PAUSED"),
    ]
    made = tm.get_queue("made")
    assert (made.max_concurrent_dispatches, made.max_attempts) == (3, 2)
    assert tm.outbox.queue_operations == [
        RecordedQueueOperation(
            "create", queue_path("auto"), {"retry_config.max_attempts": -1}
        ),
        RecordedQueueOperation(
            "create",
            queue_path("made"),
            {"rate_limits.max_concurrent_dispatches": 3},
        ),
        RecordedQueueOperation(
            "update", queue_path("made"), {"retry_config.max_attempts": 2}
        ),
        RecordedQueueOperation("pause", queue_path("made")),
        RecordedQueueOperation("purge", queue_path("made")),
    ]


def test_test_mode_answers_as_the_service_would(make_manager: MakeManager) -> None:
    tm = make_manager(test_mode=True, auto_create=False)
    with pytest.raises(QueueNotFound):
        tm.run("missing", "/p")
    tm.create_queue("q")
    tm.run("q", "/p", name="once")
    with pytest.raises(TaskAlreadyExists):
        tm.run("q", "/p", name="once")
    tm.delete_queue("q")
    with pytest.raises(QueueRecentlyDeleted):
        tm.create_queue("q")


def test_the_same_limits_apply_in_test_mode(make_manager: MakeManager) -> None:
    tm = make_manager(test_mode=True)

    with pytest.raises(InvalidTask, match="body with GET"):
        tm.run("q", "/p", method="GET", payload={"a": 1})
    with pytest.raises(InvalidTask, match="reserved header"):
        tm.run("q", "/p", headers={"X-Google-Anything": "1"})

    assert len(tm.outbox) == 0


def test_each_recorded_task_is_logged_at_info_without_payload_or_secret(
    make_manager: MakeManager, caplog: pytest.LogCaptureFixture
) -> None:
    tm = make_manager(test_mode=True)
    caplog.set_level(logging.DEBUG, logger="queuekeeper")

    tm.run("q", "/hook?token=abc", payload={"card": "4111-1111"}, name="t1")

    [line] = [r for r in caplog.records if r.getMessage().startswith("enqueued")]
    assert line.levelno == logging.INFO and line.name == "queuekeeper.client"
    assert "t1 on q: POST /hook" in line.getMessage()
    assert "test mode" in line.getMessage()
    assert "4111" not in caplog.text
    assert API_KEY not in caplog.text
    assert "abc" not in caplog.text


def test_the_outbox_outlives_close_but_calls_do_not(make_manager: MakeManager) -> None:
    with make_manager(test_mode=True) as tm:
        tm.run("q", "/p")

    assert len(tm.outbox) == 1


def test_there_is_no_outbox_outside_test_mode(
    own_emulator: Emulator, make_manager: MakeManager
) -> None:
    tm = make_manager(emulator_host=own_emulator)

    with pytest.raises(RuntimeError, match="only in test mode"):
        _ = tm.outbox


def test_a_test_mode_manager_can_be_shared_by_threads(
    make_manager: MakeManager,
) -> None:
    import threading

    tm = make_manager(test_mode=True)
    threads = [
        threading.Thread(target=lambda: [tm.run("q", "/p") for _ in range(50)])
        for _ in range(4)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(tm.outbox) == 200
    assert len({t.name for t in tm.outbox}) == 200
    assert [op.action for op in tm.outbox.queue_operations] == ["create"]
