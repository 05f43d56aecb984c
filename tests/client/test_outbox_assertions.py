"""TaskOutbox: finding what a test-mode TaskManager enqueued, and assertions
whose failures say what was recorded instead."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from queuekeeper import TaskManager
from queuekeeper.client.taskoutbox import TaskOutbox
from queuekeeper.errors import TaskAlreadyExists

KEY = "k3y-outbox-secret"


@pytest.fixture
def outbox() -> Iterator[TaskOutbox]:
    with TaskManager(
        project="p",
        location="us-central1",
        base_url="https://api.example.com/v1/",
        auth_key=KEY,
        test_mode=True,
    ) as manager:
        yield TaskOutbox(manager)


def test_tasks_are_found_by_queue_path_and_method(outbox: TaskOutbox) -> None:
    tm = outbox.manager
    tm.run("emails", "/welcome?user=1", payload={"user_id": "1"})
    tm.run("emails", "/welcome?user=2", method="PUT", payload={"user_id": "2"})
    tm.run("billing", "/remind")

    assert len(outbox.tasks()) == 3
    assert [t.payload for t in outbox.tasks("emails", "/welcome")] == [
        {"user_id": "1"},
        {"user_id": "2"},
    ]
    assert outbox.tasks(path="/welcome?user=2")[0].method == "PUT"
    assert outbox.tasks(method="put")[0].payload == {"user_id": "2"}
    assert outbox.only("billing").url == "https://api.example.com/v1/remind"
    assert outbox.tasks("projects/p/locations/us-central1/queues/billing")
    assert outbox.tasks("emails", "/remind") == []


def test_the_path_is_what_run_was_given(outbox: TaskOutbox) -> None:
    outbox.manager.run("q", "hook?a=1")

    assert outbox.path_of(outbox.only()) == "/hook?a=1"


def test_assert_enqueued_returns_the_matching_tasks(outbox: TaskOutbox) -> None:
    tm = outbox.manager
    tm.run("emails", "/welcome", payload={"user_id": "1"}, headers={"X-Trace": "a"})
    tm.run("emails", "/welcome", payload={"user_id": "2"})

    assert len(outbox.assert_enqueued("emails", "/welcome", count=2)) == 2
    [task] = outbox.assert_enqueued(payload={"user_id": "2"})
    assert task.payload == {"user_id": "2"}
    [task] = outbox.assert_enqueued(headers={"x-trace": "a"}, method="POST")
    assert task.payload == {"user_id": "1"}
    assert outbox.assert_enqueued("emails", headers={"X-API-Key": "(redacted)"})


def test_payload_none_asks_for_a_task_without_a_body(outbox: TaskOutbox) -> None:
    outbox.manager.run("q", "/ping", method="GET")

    outbox.assert_enqueued("q", payload=None)
    with pytest.raises(AssertionError):
        outbox.assert_enqueued("q", payload={})


def test_a_failed_assertion_lists_what_was_recorded(outbox: TaskOutbox) -> None:
    outbox.manager.run("emails", "/welcome", payload={"user_id": "1"})

    with pytest.raises(AssertionError) as failed:
        outbox.assert_enqueued("emails", "/goodbye", method="post")

    assert str(failed.value) == (
        "expected at least one task on emails POST /goodbye, found 0\n"
        "recorded:\n"
        "  emails: POST /welcome {'user_id': '1'}"
    )
    assert KEY not in str(failed.value)


def test_a_count_that_differs_fails(outbox: TaskOutbox) -> None:
    outbox.manager.run("q", "/a", payload="x" * 200)
    outbox.manager.run("q", "/a")

    with pytest.raises(AssertionError, match=r"expected 1 task on q, found 2") as e:
        outbox.assert_enqueued("q", count=1)
    assert "x" * 58 + "…" in str(e.value)  # long payloads are shortened
    outbox.assert_enqueued("other", count=0)


def test_only_insists_on_exactly_one(outbox: TaskOutbox) -> None:
    with pytest.raises(AssertionError, match="exactly one task, found 0"):
        outbox.only()

    outbox.manager.run("q", "/a")
    outbox.manager.run("q", "/a")

    with pytest.raises(AssertionError, match="exactly one task on q /a, found 2"):
        outbox.only("q", "/a")


def test_assert_nothing_enqueued(outbox: TaskOutbox) -> None:
    outbox.assert_nothing_enqueued()
    outbox.manager.run("emails", "/welcome")

    outbox.assert_nothing_enqueued("billing")
    with pytest.raises(AssertionError, match="expected no task on emails, found 1"):
        outbox.assert_nothing_enqueued("emails")


def test_clear_forgets_the_tasks_but_not_their_names(outbox: TaskOutbox) -> None:
    outbox.manager.run("q", "/a", name="once")
    outbox.clear()

    outbox.assert_nothing_enqueued()
    assert outbox.pending == []
    with pytest.raises(TaskAlreadyExists):
        outbox.manager.run("q", "/a", name="once")


def test_a_manager_outside_test_mode_cannot_be_wrapped() -> None:
    manager = TaskManager(
        project="p", location="us-central1", base_url="https://h", test_mode=False
    )

    with pytest.raises(ValueError, match="test mode"):
        TaskOutbox(manager)


def test_a_failure_with_nothing_recorded_says_so(outbox: TaskOutbox) -> None:
    with pytest.raises(AssertionError) as failed:
        outbox.assert_enqueued("q", payload=None, headers={"X-Trace": "t"})

    assert str(failed.value) == (
        "expected at least one task on q with payload None with headers "
        "{'X-Trace': 't'}, found 0\nnothing was recorded"
    )
