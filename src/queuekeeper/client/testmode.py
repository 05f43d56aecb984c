"""Test mode: a backend that keeps everything in the process.

No client is built and no credentials are read. Tasks go to an
:class:`Outbox` with their secrets redacted; queue operations are recorded
too, and the queues they make are what ``get_queue`` and ``list_queues``
answer from. The service's answers are imitated where a test would want to
see them: a missing queue (so auto-create runs as it would), a duplicate task
name, and a deleted queue's name that cannot be created again.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import overload

from queuekeeper import errors
from queuekeeper.client.backend import CreatedTask
from queuekeeper.client.options import Headers, OAuthToken, OidcToken
from queuekeeper.client.payload import decode
from queuekeeper.client.queues import QueueInfo
from queuekeeper.client.request import TaskRequest
from queuekeeper.fields import REDACTED, Value, is_sensitive
from queuekeeper.manifest import QueueKey


@dataclass(frozen=True)
class RecordedTask:
    """One task test mode took instead of sending it."""

    queue: str  # the queue's id
    name: str  # the full task name, generated unless given
    url: str
    method: str
    headers: Headers  # X-API-Key, Authorization and the like redacted
    payload: object  # JSON data, text, bytes, or None without a body
    body: bytes = field(repr=False)
    schedule_time: datetime | None
    dispatch_deadline: timedelta | None
    token: OidcToken | OAuthToken | None

    @property
    def task_id(self) -> str:
        return self.name.rsplit("/", 1)[-1]

    def header(self, name: str) -> str | None:
        """A header's (redacted) value; names ignore case."""
        return next((v for k, v in self.headers if k.lower() == name.lower()), None)


@dataclass(frozen=True)
class RecordedQueueOperation:
    action: str  # create, update, pause, resume, purge or delete
    queue: str  # the full queue path
    settings: Mapping[str, Value] = field(default_factory=dict)


class Outbox(Sequence[RecordedTask]):
    """The tasks recorded, oldest first; safe to read while others write."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._tasks: list[RecordedTask] = []
        self._operations: list[RecordedQueueOperation] = []

    @overload
    def __getitem__(self, index: int) -> RecordedTask: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[RecordedTask]: ...

    def __getitem__(self, index: int | slice) -> RecordedTask | Sequence[RecordedTask]:
        with self._lock:
            return self._tasks[index]

    def __len__(self) -> int:
        with self._lock:
            return len(self._tasks)

    def __iter__(self) -> Iterator[RecordedTask]:
        with self._lock:
            return iter(list(self._tasks))

    def __repr__(self) -> str:
        return f"<Outbox: {len(self)} tasks, {len(self.queue_operations)} queue ops>"

    def for_queue(self, queue: str) -> list[RecordedTask]:
        """The tasks for one queue, by id or full path."""
        queue_id = queue.rsplit("/", 1)[-1]
        return [task for task in self if task.queue == queue_id]

    @property
    def queue_operations(self) -> list[RecordedQueueOperation]:
        with self._lock:
            return list(self._operations)

    def clear(self) -> None:
        """Forget every task and queue operation recorded so far. The queues
        and task names test mode has seen stay, as the service keeps them."""
        with self._lock:
            self._tasks.clear()
            self._operations.clear()

    def add_task(self, task: RecordedTask) -> None:
        with self._lock:
            self._tasks.append(task)

    def add_operation(self, operation: RecordedQueueOperation) -> None:
        with self._lock:
            self._operations.append(operation)


class Recorder:
    """The test-mode backend: queues in a dict, tasks into the outbox."""

    def __init__(self) -> None:
        self.outbox = Outbox()
        self._lock = threading.Lock()
        self._queues: dict[str, QueueInfo] = {}
        self._deleted: set[str] = set()
        self._task_names: set[str] = set()

    def create_task(self, request: TaskRequest) -> CreatedTask:
        name = request.task_name
        with self._lock:
            self._existing(request.queue)
            if name is None:
                name = f"{request.queue.path}/tasks/{_generated_id()}"
            elif name in self._task_names:
                raise errors.TaskAlreadyExists(name)
            self._task_names.add(name)
        self.outbox.add_task(_record(request, name))
        return CreatedTask(name, request.schedule_time)

    def create_queue(self, key: QueueKey, settings: Mapping[str, Value]) -> None:
        with self._lock:
            if key.path in self._queues:
                raise errors.QueueAlreadyExists(key.path)
            if key.path in self._deleted:
                raise errors.QueueRecentlyDeleted(key.path, "deleted in test mode")
            self._queues[key.path] = QueueInfo(key.path, "RUNNING", dict(settings))
        self._note("create", key, settings)

    def update_queue(self, key: QueueKey, settings: Mapping[str, Value]) -> None:
        with self._lock:  # UpdateQueue creates a missing queue (facts)
            old = self._queues.get(key.path, QueueInfo(key.path, "RUNNING"))
            merged = {**old.settings, **settings}
            self._queues[key.path] = QueueInfo(key.path, old.state, merged)
        self._note("update", key, settings)

    def get_queue(self, key: QueueKey) -> QueueInfo:
        with self._lock:
            return self._existing(key)

    def list_queues(self, project: str, location: str) -> list[QueueInfo]:
        parent = f"projects/{project}/locations/{location}/queues/"
        with self._lock:
            return [q for p, q in sorted(self._queues.items()) if p.startswith(parent)]

    def pause_queue(self, key: QueueKey) -> None:
        self._set_state(key, "PAUSED", "pause")

    def resume_queue(self, key: QueueKey) -> None:
        self._set_state(key, "RUNNING", "resume")

    def purge_queue(self, key: QueueKey) -> None:
        # Recorded tasks stay in the outbox: it records what was sent.
        with self._lock:
            self._existing(key)
        self._note("purge", key)

    def delete_queue(self, key: QueueKey) -> None:
        with self._lock:
            self._existing(key)
            del self._queues[key.path]
            self._deleted.add(key.path)
        self._note("delete", key)

    def close(self) -> None:
        pass

    def _existing(self, key: QueueKey) -> QueueInfo:
        queue = self._queues.get(key.path)
        if queue is None:
            raise errors.QueueNotFound(key.path, "not created in test mode")
        return queue

    def _set_state(self, key: QueueKey, state: str, action: str) -> None:
        with self._lock:
            old = self._existing(key)
            self._queues[key.path] = QueueInfo(key.path, state, old.settings)
        self._note(action, key)

    def _note(
        self, action: str, key: QueueKey, settings: Mapping[str, Value] | None = None
    ) -> None:
        operation = RecordedQueueOperation(action, key.path, dict(settings or {}))
        self.outbox.add_operation(operation)


def _generated_id() -> str:
    # Like the service's own: a long string of digits.
    return str(10**18 + secrets.randbelow(9 * 10**18))


def _record(request: TaskRequest, name: str) -> RecordedTask:
    content_type = next(
        (v for k, v in request.headers if k.lower() == "content-type"), None
    )
    return RecordedTask(
        queue=request.queue.name,
        name=name,
        url=request.url,
        method=request.method,
        headers=tuple(
            (k, REDACTED if is_sensitive(k, v) else v) for k, v in request.headers
        ),
        payload=decode(request.body, content_type),
        body=request.body,
        schedule_time=request.schedule_time,
        dispatch_deadline=request.dispatch_deadline,
        token=request.token,
    )
