"""Assertions on a test-mode TaskManager's outbox, and delivery in-process.

The pytest plugin's ``task_outbox`` fixture is a :class:`TaskOutbox` around
a fresh test-mode TaskManager; an application that makes its own can wrap
it the same way::

    def test_signup_sends_the_welcome_email(task_outbox):
        signup(task_outbox.manager, "ada@example.com")

        task = task_outbox.assert_enqueued("user-notifications", "/welcome")[0]
        assert task.payload == {"email": "ada@example.com"}
        [response] = task_outbox.deliver_wsgi(app)
        assert response.status == 200

A task's path is its URL relative to the TaskManager's ``base_url``: the
``path`` that was passed to ``run``.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from datetime import datetime, timezone

from queuekeeper.client.delivery import TaskHttpRequest, TaskResponse, request_for
from queuekeeper.client.inprocess import AsgiApp, WsgiApp, call_asgi, call_wsgi
from queuekeeper.client.manager import TaskManager
from queuekeeper.client.testmode import Outbox, RecordedTask

_ANY = object()  # assert_enqueued's payload when none is asked for
_SHOWN_PAYLOAD = 60  # characters of a payload an assertion message shows


class TaskOutbox:
    """A test-mode TaskManager's outbox, with assertions and delivery.

    Delivery sends each pending task (recorded and not yet delivered) once,
    oldest first and without waiting for its schedule time, and marks it
    delivered. Tasks the application enqueues while handling one stay
    pending for the next call.
    """

    def __init__(self, manager: TaskManager) -> None:
        if not manager.test_mode:
            raise ValueError("TaskOutbox needs a TaskManager in test mode")
        self.manager = manager
        self._delivered: set[str] = set()
        self._lock = threading.Lock()

    @property
    def outbox(self) -> Outbox:
        return self.manager.outbox

    def path_of(self, task: RecordedTask) -> str:
        """The path (with its query) ``run`` was given for ``task``."""
        base = self.manager.base_url.rstrip("/")
        return task.url[len(base) :] if task.url.startswith(base) else task.url

    # --- reading and asserting ---------------------------------------------

    def tasks(
        self,
        queue: str | None = None,
        path: str | None = None,
        *,
        method: str | None = None,
    ) -> list[RecordedTask]:
        """The recorded tasks that match, oldest first. A ``path`` without a
        query matches whatever query the task had."""
        return [t for t in self.outbox if self._matches(t, queue, path, method)]

    def only(
        self,
        queue: str | None = None,
        path: str | None = None,
        *,
        method: str | None = None,
    ) -> RecordedTask:
        """The one matching task; AssertionError if there are none or more."""
        found = self.tasks(queue, path, method=method)
        if len(found) != 1:
            raise AssertionError(
                self._message(
                    f"expected exactly one task{_what(queue, path, method)}"
                    f", found {len(found)}"
                )
            )
        return found[0]

    def assert_enqueued(
        self,
        queue: str | None = None,
        path: str | None = None,
        *,
        method: str | None = None,
        payload: object = _ANY,
        headers: Mapping[str, str] | None = None,
        count: int | None = None,
    ) -> list[RecordedTask]:
        """The matching tasks; AssertionError unless there are ``count`` of
        them (by default, at least one). ``payload`` compares with the
        decoded payload (``None``: no body); ``headers`` must all be there,
        by name in any case, with these (redacted) values."""
        found = [
            task
            for task in self.tasks(queue, path, method=method)
            if (payload is _ANY or task.payload == payload)
            and all(task.header(k) == v for k, v in (headers or {}).items())
        ]
        if (len(found) != count) if count is not None else not found:
            wanted = "at least one" if count is None else str(count)
            what = _what(queue, path, method)
            if payload is not _ANY:
                what += f" with payload {_short(payload)}"
            if headers:
                what += f" with headers {dict(headers)}"
            raise AssertionError(
                self._message(f"expected {wanted} task{what}, found {len(found)}")
            )
        return found

    def assert_nothing_enqueued(self, queue: str | None = None) -> None:
        """AssertionError if any task was recorded (for ``queue``)."""
        found = self.tasks(queue)
        if found:
            where = f" on {queue}" if queue else ""
            raise AssertionError(
                self._message(f"expected no task{where}, found {len(found)}")
            )

    def clear(self) -> None:
        """Forget the tasks and queue operations recorded so far."""
        with self._lock:
            self.outbox.clear()
            self._delivered.clear()

    # --- delivery -------------------------------------------------------

    @property
    def pending(self) -> list[RecordedTask]:
        """Recorded tasks not delivered yet, oldest first."""
        with self._lock:
            return [t for t in self.outbox if t.name not in self._delivered]

    def deliver_wsgi(
        self, app: WsgiApp, *, queue: str | None = None
    ) -> list[TaskResponse]:
        """Send each pending task (on ``queue``) to a WSGI application; the
        answers, in the order the tasks were recorded."""
        return [call_wsgi(app, request) for request in self._take(queue)]

    async def deliver_asgi(
        self, app: AsgiApp, *, queue: str | None = None
    ) -> list[TaskResponse]:
        """Send each pending task (on ``queue``) to an ASGI application, one
        after another; the answers, in the order the tasks were recorded."""
        return [await call_asgi(app, request) for request in self._take(queue)]

    def _take(self, queue: str | None) -> list[TaskHttpRequest]:
        """Requests for the pending tasks, which are marked delivered."""
        now = datetime.now(timezone.utc)
        # The outbox redacts the auth key; Cloud Tasks would send it.
        auth_key = self.manager._auth_key
        with self._lock:
            taken = [
                t
                for t in self.outbox
                if t.name not in self._delivered and _on_queue(t, queue)
            ]
            self._delivered.update(t.name for t in taken)
        return [request_for(t, auth_key=auth_key, now=now) for t in taken]

    # --- helpers --------------------------------------------------------

    def _matches(
        self,
        task: RecordedTask,
        queue: str | None,
        path: str | None,
        method: str | None,
    ) -> bool:
        if not _on_queue(task, queue):
            return False
        if method is not None and task.method != method.upper():
            return False
        if path is None:
            return True
        full = self.path_of(task)
        return (full if "?" in path else full.split("?", 1)[0]) == path

    def _message(self, headline: str) -> str:
        recorded = [
            f"  {t.queue}: {t.method} {self.path_of(t)}"
            + ("" if t.payload is None else f" {_short(t.payload)}")
            for t in self.outbox
        ]
        return "\n".join(
            [headline, "recorded:", *recorded]
            if recorded
            else [headline, "nothing was recorded"]
        )


def _on_queue(task: RecordedTask, queue: str | None) -> bool:
    return queue is None or task.queue == queue.rsplit("/", 1)[-1]


def _what(queue: str | None, path: str | None, method: str | None) -> str:
    """`` on q POST /p``: what an assertion looked for, or nothing."""
    parts = [f"on {queue}" if queue else "", method.upper() if method else ""]
    return "".join(f" {p}" for p in [*parts, path or ""] if p)


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= _SHOWN_PAYLOAD else text[: _SHOWN_PAYLOAD - 1] + "…"
