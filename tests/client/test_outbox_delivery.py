"""TaskOutbox delivers what was enqueued to the application in the process,
once each, as Cloud Tasks' first attempt would."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone

import pytest

from queuekeeper import TaskManager
from queuekeeper.client.taskoutbox import TaskOutbox
from tests.client.webapps import AsgiWorker, Seen, WsgiWorker

KEY = "k3y-outbox-delivery"


@pytest.fixture
def outbox() -> Iterator[TaskOutbox]:
    with TaskManager(
        project="p",
        location="us-central1",
        base_url="https://api.example.com/hooks",
        auth_key=KEY,
        test_mode=True,
    ) as manager:
        yield TaskOutbox(manager)


def test_each_pending_task_is_delivered_once_oldest_first(outbox: TaskOutbox) -> None:
    tm = outbox.manager
    tm.run("emails", "/welcome?user=1", payload={"user_id": "1"}, name="w1")
    tm.run("billing", "/remind", method="PUT", payload="due")
    worker = WsgiWorker(KEY)

    responses = outbox.deliver_wsgi(worker)

    seen = [json.loads(r.body) for r in responses]
    assert [r.status for r in responses] == [200, 200]
    assert [(s["queue"], s["method"], s["path"], s["query"]) for s in seen] == [
        ("emails", "POST", "/hooks/welcome", "user=1"),
        ("billing", "PUT", "/hooks/remind", ""),
    ]
    assert seen[0]["task"] == "w1" and seen[0]["body"] == '{"user_id":"1"}'
    assert [r.task for r in responses] == list(tm.outbox)
    assert outbox.pending == []
    assert outbox.deliver_wsgi(worker) == []
    assert len(outbox.tasks()) == 2  # delivered tasks stay recorded


def test_delivery_can_be_limited_to_one_queue(outbox: TaskOutbox) -> None:
    outbox.manager.run("emails", "/welcome")
    outbox.manager.run("billing", "/remind")

    [response] = outbox.deliver_wsgi(WsgiWorker(KEY), queue="billing")

    assert response.task.queue == "billing"
    assert [t.queue for t in outbox.pending] == ["emails"]


def test_tasks_a_handler_enqueues_wait_for_the_next_delivery(
    outbox: TaskOutbox,
) -> None:
    def fan_out(seen: Seen) -> None:
        if seen["queue"] == "orders":
            outbox.manager.run("emails", "/receipt")

    worker = WsgiWorker(KEY, then=fan_out)
    outbox.manager.run("orders", "/place")

    assert [r.task.queue for r in outbox.deliver_wsgi(worker)] == ["orders"]
    assert [r.task.queue for r in outbox.deliver_wsgi(worker)] == ["emails"]


def test_a_delayed_task_is_delivered_at_once_with_its_eta(outbox: TaskOutbox) -> None:
    outbox.manager.run("emails", "/later", delay=timedelta(hours=2))

    [response] = outbox.deliver_wsgi(WsgiWorker(KEY))

    eta = datetime.fromisoformat(json.loads(response.body)["eta"])
    assert eta > datetime.now(timezone.utc) + timedelta(hours=1)


def test_a_worker_with_another_key_refuses_the_task(outbox: TaskOutbox) -> None:
    outbox.manager.run("emails", "/welcome")

    [response] = outbox.deliver_wsgi(WsgiWorker("not-the-key"))

    assert (response.status, response.ok) == (403, False)
    assert "X-API-Key" in json.loads(response.body)["error"]


def test_tasks_are_delivered_to_an_asgi_application(outbox: TaskOutbox) -> None:
    outbox.manager.run("emails", "/welcome", payload={"user_id": "1"}, name="w1")
    outbox.manager.run("emails", "/ping", method="GET")
    worker = AsgiWorker(KEY)

    responses = asyncio.run(outbox.deliver_asgi(worker))

    seen = [json.loads(r.body) for r in responses]
    assert [r.status for r in responses] == [200, 200]
    assert [(s["method"], s["path"]) for s in seen] == [
        ("POST", "/hooks/welcome"),
        ("GET", "/hooks/ping"),
    ]
    assert seen[0]["task"] == "w1" and seen[0]["body"] == '{"user_id":"1"}'
    assert seen[1]["execution_count"] == 0
    assert outbox.pending == []


def test_without_an_auth_key_no_key_is_restored() -> None:
    with TaskManager(
        project="p", location="us-central1", base_url="http://h", test_mode=True
    ) as tm:
        tm.run("q", "/a", headers={"X-Trace": "t"})

        [response] = TaskOutbox(tm).deliver_wsgi(WsgiWorker(KEY))

    assert response.status == 403
