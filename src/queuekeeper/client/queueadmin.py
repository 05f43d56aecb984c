"""The queue calls of a TaskManager: create, update, read, pause, resume,
purge and delete, each with the TaskManager's retry rules.

A mixin: :class:`~queuekeeper.client.manager.TaskManager` provides the
client, the queue keys and the settings a queue is created with.
"""

from __future__ import annotations

from collections.abc import Mapping

from queuekeeper.client import calls
from queuekeeper.client.backend import Backend
from queuekeeper.client.queues import QueueInfo, QueueOptions
from queuekeeper.client.retry import RetryPolicy, with_retries
from queuekeeper.fields import Value
from queuekeeper.manifest import QueueKey


class QueueAdministration:
    project: str
    location: str
    _retry: RetryPolicy

    def _backend(self) -> Backend:
        raise NotImplementedError

    def _key(self, queue: str, *, for_task: bool = False) -> QueueKey:
        raise NotImplementedError

    def _settings_for(self, key: QueueKey) -> Mapping[str, Value]:
        raise NotImplementedError

    def create_queue(
        self, queue: str, options: QueueOptions | None = None, *, exist_ok: bool = False
    ) -> None:
        """Create ``queue`` with ``options``, else as declared, else with the
        TaskManager's ``queue_options``; QueueAlreadyExists unless
        ``exist_ok``."""
        key = self._key(queue)
        settings = options.settings() if options else self._settings_for(key)
        api = self._backend()
        calls.create_queue(api, self._retry, key, settings, exist_ok=exist_ok)

    def update_queue(self, queue: str, options: QueueOptions) -> None:
        """Change the fields ``options`` gives, and only those (none: no call)."""
        key, settings = self._key(queue), options.settings()
        if settings:  # an empty update mask would mean "every field"
            api = self._backend()
            calls.call(api.update_queue, self._retry, "UpdateQueue", key, settings)

    def get_queue(self, queue: str) -> QueueInfo:
        """The queue as the service describes it; QueueNotFound if missing."""
        key = self._key(queue)
        api = self._backend()
        what = f"GetQueue {key.name}"
        return with_retries(self._retry, what, lambda _: api.get_queue(key))[0]

    def list_queues(self) -> list[QueueInfo]:
        """Every queue in the TaskManager's project and location."""
        api = self._backend()
        what = f"ListQueues {self.project}/{self.location}"
        return with_retries(
            self._retry, what, lambda _: api.list_queues(self.project, self.location)
        )[0]

    def pause_queue(self, queue: str) -> None:
        key = self._key(queue)
        calls.call(self._backend().pause_queue, self._retry, "PauseQueue", key)

    def resume_queue(self, queue: str) -> None:
        key = self._key(queue)
        calls.call(self._backend().resume_queue, self._retry, "ResumeQueue", key)

    def purge_queue(self, queue: str) -> None:
        """Delete every task of the queue (the service may take a minute)."""
        key = self._key(queue)
        calls.call(self._backend().purge_queue, self._retry, "PurgeQueue", key)

    def delete_queue(self, queue: str) -> None:
        """Delete the queue; its name cannot be used again for up to 7 days."""
        key = self._key(queue)
        calls.delete_queue(self._backend(), self._retry, key)
