"""The queue RPCs of Cloud Tasks v2, on raw protobuf requests and the store.

Nothing here knows about gRPC contexts: refusals are raised as `ApiError` and
`handlers.py` turns them into statuses. Every change to a queue is reported to
`on_change` (the dispatcher) once it is committed.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import grpc

from . import listing, masks, queues
from .errors import (
    ENTITY_NOT_FOUND,
    QUEUE_EXISTS,
    QUEUE_TOMBSTONED,
    ApiError,
    invalid,
    queue_not_found,
)
from .messages import (
    STATE_PAUSED,
    STATE_RUNNING,
    ListQueuesResponsePb,
    QueuePb,
)
from .names import check_parent, queue_parent
from .store import QueueStore
from .taskstore import TaskStore


def _ignore(name: str) -> None:
    pass


class QueueService:
    """Queue administration with the real API's semantics, codes and messages."""

    def __init__(
        self,
        store: QueueStore,
        tasks: TaskStore,
        queue_tombstone: timedelta,
        *,
        task_tombstone: timedelta = timedelta(0),
        clock: Callable[[], float] = time.time,
        on_change: Callable[[str], None] = _ignore,
    ) -> None:
        self._store = store
        self._tasks = tasks
        self._tombstone_seconds = queue_tombstone.total_seconds()
        self._task_tombstone_seconds = task_tombstone.total_seconds()
        self._clock = clock
        self._on_change = on_change

    def list_queues(self, request: Any) -> Any:
        parent = check_parent(request.parent)
        state = listing.parse_filter(request.filter)
        size = listing.page_size(request.page_size)
        listing_id = listing.fingerprint(parent, state)
        after = listing.decode_token(request.page_token, listing_id)

        # One row beyond the page tells whether another page exists.
        rows = self._store.page(parent, state, after, size + 1)
        response = ListQueuesResponsePb()
        for _name, body in rows[:size]:
            response.queues.add().MergeFromString(body)
        if len(rows) > size:
            last_name = rows[size - 1][0]
            response.next_page_token = listing.encode_token(last_name, listing_id)
        return response

    def get_queue(self, request: Any) -> Any:
        queue_parent(request.name)
        queue = self._store.get(request.name)
        if queue is None:
            raise queue_not_found()
        return queue

    def create_queue(self, request: Any) -> Any:
        parent = check_parent(request.parent)
        queue = QueuePb()
        queue.CopyFrom(request.queue)
        if queue_parent(queue.name) != parent:
            raise invalid(f'Queue name "{queue.name}" must be in parent "{parent}".')
        queues.prepare_new(queue)
        queues.validate(queue)

        with self._store.atomic():
            if self._store.get(queue.name) is not None:
                raise ApiError(grpc.StatusCode.ALREADY_EXISTS, QUEUE_EXISTS)
            self._check_not_tombstoned(queue.name)
            self._store.put(queue, parent)
        self._on_change(queue.name)
        return queue

    def update_queue(self, request: Any) -> Any:
        sent = QueuePb()
        sent.CopyFrom(request.queue)
        parent = queue_parent(sent.name)
        paths = masks.writable_paths(request.update_mask.paths)
        queues.drop_output_only(sent)

        with self._store.atomic():
            queue = self._store.get(sent.name)
            created = queue is None
            if queue is None:
                # UpdateQueue "creates the queue if it does not exist".
                self._check_not_tombstoned(sent.name)
                queue = QueuePb(name=sent.name, state=STATE_RUNNING)
            masks.apply_mask(queue, sent, paths)
            explicit = "retry_config.max_doublings" in paths
            queues.fill_defaults(
                queue,
                default_doublings=not explicit and (created or "retry_config" in paths),
            )
            queues.validate(queue)
            self._store.put(queue, parent)
        self._on_change(queue.name)
        return queue

    def delete_queue(self, request: Any) -> None:
        queue_parent(request.name)
        with self._store.atomic():
            if not self._store.delete(request.name):
                raise ApiError(grpc.StatusCode.NOT_FOUND, ENTITY_NOT_FOUND)
            # The tasks go with the queue; its own tombstone keeps their names.
            self._tasks.drop_queue(request.name)
            if self._tombstone_seconds > 0:
                expires_at = self._clock() + self._tombstone_seconds
                self._store.add_tombstone(request.name, expires_at)
        self._on_change(request.name)

    def purge_queue(self, request: Any) -> Any:
        # purge_time is truncated to microseconds (facts: queue fields). Tasks
        # created before it go at once, in the same transaction: the real
        # "up to one minute" delay is not worth imitating.
        now = self._clock()
        micros = int(now * 1_000_000)
        until = None
        if self._task_tombstone_seconds > 0:
            until = now + self._task_tombstone_seconds

        def purge(queue: Any) -> None:
            queue.purge_time.FromMicroseconds(micros)
            self._tasks.purge(queue.name, micros, until)

        return self._modify(request.name, purge)

    def pause_queue(self, request: Any) -> Any:
        return self.set_state(request.name, STATE_PAUSED)

    def resume_queue(self, request: Any) -> Any:
        # Resume re-enables both PAUSED and DISABLED queues (facts: queue fields).
        return self.set_state(request.name, STATE_RUNNING)

    def set_state(self, name: str, state: int) -> Any:
        """Set a queue's state; also the test hook for DISABLED."""

        def change(queue: Any) -> None:
            queue.state = state

        return self._modify(name, change)

    def _modify(self, name: str, change: Callable[[Any], None]) -> Any:
        parent = queue_parent(name)
        with self._store.atomic():
            queue = self._store.get(name)
            if queue is None:
                raise queue_not_found()
            change(queue)
            self._store.put(queue, parent)
        self._on_change(name)
        return queue

    def _check_not_tombstoned(self, name: str) -> None:
        if self._store.is_tombstoned(name, self._clock()):
            raise ApiError(grpc.StatusCode.FAILED_PRECONDITION, QUEUE_TOMBSTONED)
