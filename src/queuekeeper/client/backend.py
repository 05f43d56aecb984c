"""What a TaskManager needs of Cloud Tasks: one attempt per call.

Two implementations: :class:`queuekeeper.tasksapi.TasksApi` (the adapter over
google-cloud-tasks) and :class:`queuekeeper.client.testmode.Recorder` (test
mode: nothing leaves the process). Both raise the errors of
:mod:`queuekeeper.errors` and never retry: retrying is the TaskManager's
policy, because only it knows whether an ALREADY_EXISTS answers its own
earlier attempt.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from queuekeeper.client.queues import QueueInfo
from queuekeeper.client.request import TaskRequest
from queuekeeper.fields import Value
from queuekeeper.manifest import QueueKey


@dataclass(frozen=True)
class CreatedTask:
    name: str
    schedule_time: datetime | None


class Backend(Protocol):
    """Errors: QueueNotFound, QueueAlreadyExists, TaskAlreadyExists,
    QueueRecentlyDeleted (CreateQueue), InvalidTask (refused by the service),
    TransientError, PermissionDeniedError, ApiError."""

    def create_task(self, request: TaskRequest) -> CreatedTask: ...

    def create_queue(self, key: QueueKey, settings: Mapping[str, Value]) -> None: ...

    def update_queue(self, key: QueueKey, settings: Mapping[str, Value]) -> None: ...

    def get_queue(self, key: QueueKey) -> QueueInfo: ...

    def list_queues(self, project: str, location: str) -> list[QueueInfo]: ...

    def pause_queue(self, key: QueueKey) -> None: ...

    def resume_queue(self, key: QueueKey) -> None: ...

    def purge_queue(self, key: QueueKey) -> None: ...

    def delete_queue(self, key: QueueKey) -> None: ...

    def close(self) -> None: ...
