"""The task RPCs of Cloud Tasks v2, on raw protobuf requests and the stores.

Like `service.py`, nothing here knows about gRPC contexts: refusals are raised
as `ApiError`. Dispatch is told about new tasks and RunTask through
`DispatchHooks`, which record-only mode fills with `NoDispatch`.
"""

from __future__ import annotations

import secrets
from contextlib import AbstractContextManager
from datetime import timedelta
from typing import Any, Protocol

import grpc

from . import listing
from .batch import Operations, create_tasks, delete_tasks
from .clock import Clock
from .errors import (
    ENTITY_NOT_FOUND,
    TASK_EXISTS,
    TASK_GONE,
    ApiError,
    queue_not_found,
)
from .messages import ListTasksResponsePb, TaskPb
from .names import queue_parent, split_task_name
from .store import QueueStore
from .taskrules import in_view, prepare_new, show
from .taskstore import TaskRow, TaskStore


class DispatchHooks(Protocol):
    """What the task RPCs tell the dispatcher."""

    def notice(self, queue: str, *, changed: bool = False) -> None: ...

    def run_now(self, task: str) -> None: ...


class NoDispatch:
    """Record-only mode: tasks are kept and listed, never sent."""

    def notice(self, queue: str, *, changed: bool = False) -> None:
        pass

    def run_now(self, task: str) -> None:
        pass


class TaskService:
    """Task RPCs with the real API's semantics, codes and messages."""

    def __init__(
        self,
        queues: QueueStore,
        tasks: TaskStore,
        clock: Clock,
        task_tombstone: timedelta,
        hooks: DispatchHooks,
    ) -> None:
        self._queues = queues
        self._tasks = tasks
        self._clock = clock
        self._tombstone_seconds = task_tombstone.total_seconds()
        self._hooks = hooks
        self._operations = Operations()

    def list_tasks(self, request: Any) -> Any:
        queue = request.parent
        queue_parent(queue)
        size = listing.page_size(request.page_size, listing.MAX_TASK_PAGE_SIZE)
        listing_id = listing.fingerprint(f"{queue}/tasks", None)
        after = listing.decode_token(request.page_token, listing_id)
        if not self._queues.exists(queue):
            raise queue_not_found()

        # One row beyond the page tells whether another page exists.
        rows = self._tasks.page(queue, after, size + 1)
        response = ListTasksResponsePb()
        for _name, body in rows[:size]:
            task = response.tasks.add()
            task.MergeFromString(body)
            show(task, request.response_view)
        if len(rows) > size:
            last_name = rows[size - 1][0]
            response.next_page_token = listing.encode_token(last_name, listing_id)
        return response

    def get_task(self, request: Any) -> Any:
        split_task_name(request.name)
        row = self._tasks.get(request.name)
        if row is not None:
            return in_view(row.task, request.response_view)
        if self._tasks.is_tombstoned(request.name, self._clock.now()):
            raise ApiError(grpc.StatusCode.NOT_FOUND, TASK_GONE)
        raise ApiError(grpc.StatusCode.NOT_FOUND, ENTITY_NOT_FOUND)

    def create_task(self, request: Any) -> Any:
        queue_parent(request.parent)
        task = self.add(request.parent, request.task)
        return in_view(task, request.response_view)

    def delete_task(self, request: Any) -> None:
        split_task_name(request.name)
        with self._queues.atomic():
            until = self._tombstone_until(self._clock.now())
            if not self._tasks.finish(request.name, until):
                raise ApiError(grpc.StatusCode.NOT_FOUND, ENTITY_NOT_FOUND)

    def run_task(self, request: Any) -> Any:
        # A task that succeeded or failed for good is gone: NOT_FOUND, the
        # generic message (recorded for RunTask).
        split_task_name(request.name)
        row = self._tasks.get(request.name)
        if row is None:
            raise ApiError(grpc.StatusCode.NOT_FOUND, ENTITY_NOT_FOUND)
        self._hooks.run_now(request.name)
        return in_view(row.task, request.response_view)

    def batch_create_tasks(self, request: Any) -> Any:
        return create_tasks(self, request, self._operations)

    def batch_delete_tasks(self, request: Any) -> Any:
        return delete_tasks(self, request, self._operations)

    def add(self, queue: str, sent: Any) -> Any:
        """Create one task in `queue` (a well-formed queue name); the stored task."""
        task = TaskPb()
        task.CopyFrom(sent)
        now = self._clock.now()
        prepare_new(task, queue, now)
        with self._queues.atomic():
            self.check_queue(queue)
            if task.name:
                self._check_free(task.name, now)
            else:
                task.name = self._new_name(queue, now)
            self._tasks.insert(TaskRow(task.name, queue, task), int(now * 1_000_000))
        self._hooks.notice(queue)
        return task

    def atomic(self) -> AbstractContextManager[None]:
        """A transaction that creates and deletes of tasks may join."""
        return self._queues.atomic()

    def check_queue(self, queue: str) -> None:
        if not self._queues.exists(queue):
            raise queue_not_found()

    def now(self) -> float:
        return self._clock.now()

    def _check_free(self, name: str, now: float) -> None:
        if self._taken(name, now):
            raise ApiError(grpc.StatusCode.ALREADY_EXISTS, TASK_EXISTS)

    def _taken(self, name: str, now: float) -> bool:
        # A live task, or one deleted or finished within the tombstone window.
        return self._tasks.exists(name) or self._tasks.is_tombstoned(name, now)

    def _new_name(self, queue: str, now: float) -> str:
        # Production's generated IDs are long digit strings; 19 digits here.
        while True:
            name = f"{queue}/tasks/{10**18 + secrets.randbelow(9 * 10**18)}"
            if not self._taken(name, now):
                return name

    def _tombstone_until(self, now: float) -> float | None:
        if self._tombstone_seconds <= 0:
            return None
        return now + self._tombstone_seconds
