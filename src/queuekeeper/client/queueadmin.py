"""The queue calls of a TaskManager: create, update, read, pause, resume,
purge and delete, each with the TaskManager's retry rules.

:class:`QueueFlows` says what each call does, as a flow; two mixins run
those flows: :class:`QueueAdministration` for
:class:`~queuekeeper.client.manager.TaskManager` and
:class:`AsyncQueueAdministration` for
:class:`~queuekeeper.client.asyncmanager.AsyncTaskManager`. The managers
provide the queue keys, the settings a queue is created with, and ``_drive``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from queuekeeper.client import calls
from queuekeeper.client.flow import Flow, finished
from queuekeeper.client.queues import QueueInfo, QueueOptions
from queuekeeper.client.retry import RetryPolicy
from queuekeeper.fields import Value
from queuekeeper.manifest import QueueKey


class QueueFlows:
    project: str
    location: str
    _retry: RetryPolicy

    def _key(self, queue: str, *, for_task: bool = False) -> QueueKey:
        raise NotImplementedError

    def _settings_for(self, key: QueueKey) -> Mapping[str, Value]:
        raise NotImplementedError

    def _create_queue(
        self, queue: str, options: QueueOptions | None, exist_ok: bool
    ) -> Flow[bool]:
        key = self._key(queue)
        settings = options.settings() if options else self._settings_for(key)
        return calls.create_queue(self._retry, key, settings, exist_ok=exist_ok)

    def _update_queue(self, queue: str, options: QueueOptions) -> Flow[Any]:
        key, settings = self._key(queue), options.settings()
        if not settings:  # an empty update mask would mean "every field"
            return finished(None)
        return calls.repeatable(self._retry, "UpdateQueue", key, settings)

    def _on_queue(self, rpc: str, queue: str) -> Flow[Any]:
        return calls.repeatable(self._retry, rpc, self._key(queue))

    def _list_queues(self) -> Flow[Any]:
        where = (self.project, self.location)
        return calls.repeatable(self._retry, "ListQueues", *where)

    def _delete_queue(self, queue: str) -> Flow[None]:
        return calls.delete_queue(self._retry, self._key(queue))


class QueueAdministration(QueueFlows):
    def _drive(self, flow: Flow[Any]) -> Any:
        raise NotImplementedError

    def create_queue(
        self, queue: str, options: QueueOptions | None = None, *, exist_ok: bool = False
    ) -> None:
        """Create ``queue`` with ``options``, else as declared, else with the
        TaskManager's ``queue_options``; QueueAlreadyExists unless
        ``exist_ok``."""
        self._drive(self._create_queue(queue, options, exist_ok))

    def update_queue(self, queue: str, options: QueueOptions) -> None:
        """Change the fields ``options`` gives, and only those (none: no call)."""
        self._drive(self._update_queue(queue, options))

    def get_queue(self, queue: str) -> QueueInfo:
        """The queue as the service describes it; QueueNotFound if missing."""
        info: QueueInfo = self._drive(self._on_queue("GetQueue", queue))
        return info

    def list_queues(self) -> list[QueueInfo]:
        """Every queue in the TaskManager's project and location."""
        queues: list[QueueInfo] = self._drive(self._list_queues())
        return queues

    def pause_queue(self, queue: str) -> None:
        self._drive(self._on_queue("PauseQueue", queue))

    def resume_queue(self, queue: str) -> None:
        self._drive(self._on_queue("ResumeQueue", queue))

    def purge_queue(self, queue: str) -> None:
        """Delete every task of the queue (the service may take a minute)."""
        self._drive(self._on_queue("PurgeQueue", queue))

    def delete_queue(self, queue: str) -> None:
        """Delete the queue; its name cannot be used again for up to 7 days."""
        self._drive(self._delete_queue(queue))


class AsyncQueueAdministration(QueueFlows):
    """The same calls as :class:`QueueAdministration`, to be awaited."""

    async def _drive(self, flow: Flow[Any]) -> Any:
        raise NotImplementedError

    async def create_queue(
        self, queue: str, options: QueueOptions | None = None, *, exist_ok: bool = False
    ) -> None:
        await self._drive(self._create_queue(queue, options, exist_ok))

    async def update_queue(self, queue: str, options: QueueOptions) -> None:
        await self._drive(self._update_queue(queue, options))

    async def get_queue(self, queue: str) -> QueueInfo:
        info: QueueInfo = await self._drive(self._on_queue("GetQueue", queue))
        return info

    async def list_queues(self) -> list[QueueInfo]:
        queues: list[QueueInfo] = await self._drive(self._list_queues())
        return queues

    async def pause_queue(self, queue: str) -> None:
        await self._drive(self._on_queue("PauseQueue", queue))

    async def resume_queue(self, queue: str) -> None:
        await self._drive(self._on_queue("ResumeQueue", queue))

    async def purge_queue(self, queue: str) -> None:
        await self._drive(self._on_queue("PurgeQueue", queue))

    async def delete_queue(self, queue: str) -> None:
        await self._drive(self._delete_queue(queue))
