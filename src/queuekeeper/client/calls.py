"""Calls to the service with the TaskManager's rules: retries, what the
answer to a retry means, and auto-create; each a flow
(:mod:`queuekeeper.client.flow`) that either TaskManager drives.

A retried call may find its own earlier attempt done: a create that answers
ALREADY_EXISTS, or a delete that answers NOT_FOUND, on a retry (never on the
first attempt) is the earlier attempt's success whose answer was lost. So a
retry never makes a named task twice. An unnamed task is sent at least once:
a retry after a lost answer can make it twice.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

from queuekeeper.apply import ZERO_IS_A_VALUE
from queuekeeper.client.backend import CreatedTask
from queuekeeper.client.flow import Flow, call
from queuekeeper.client.request import TaskRequest
from queuekeeper.client.retry import RetryPolicy, retrying
from queuekeeper.errors import (
    QueueAlreadyExists,
    QueuekeeperError,
    QueueNotFound,
    TaskAlreadyExists,
    TransientError,
)
from queuekeeper.fields import State, Value
from queuekeeper.manifest import QueueKey, QueueSpec

log = logging.getLogger("queuekeeper.client")

# Makes the missing queue a task was sent to, or raises.
QueueMaker = Callable[[QueueNotFound], Flow[None]]
# "If you just created the queue, wait at least a minute for the queue to
# initialize": NOT_FOUND right after our create is worth retrying.
AFTER_CREATE = (TransientError, QueueNotFound)


def made_earlier(
    request: TaskRequest, error: QueuekeeperError, retry: bool
) -> CreatedTask | None:
    """The task an earlier attempt made, if ``error`` is its lost answer:
    ALREADY_EXISTS for a named task on a retry."""
    if not (retry and isinstance(error, TaskAlreadyExists)):
        return None
    log.info("task %s was created by an earlier attempt", error.task)
    return CreatedTask(error.task, request.schedule_time)


def send_task(
    policy: RetryPolicy, request: TaskRequest, make_queue: QueueMaker | None
) -> Flow[tuple[CreatedTask, int]]:
    """Create the task, first its queue if missing and ``make_queue`` is
    given; the created task and the CreateTask calls made."""
    calls = 0

    def attempt(retry: int) -> Flow[CreatedTask]:
        nonlocal calls
        calls += 1
        try:
            created: CreatedTask = yield from call("create_task", request)
        except TaskAlreadyExists as exc:
            earlier = made_earlier(request, exc, retry > 0)
            if earlier is None:
                raise
            return earlier
        return created

    what = f"CreateTask on {request.queue.name}"
    try:
        return (yield from retrying(policy, what, attempt))[0], calls
    except QueueNotFound as missing:
        if make_queue is None:
            raise
        yield from make_queue(missing)
    sent = yield from retrying(policy, what, attempt, retry_on=AFTER_CREATE)
    return sent[0], calls


def create_queue(
    policy: RetryPolicy,
    key: QueueKey,
    settings: Mapping[str, Value],
    *,
    exist_ok: bool,
) -> Flow[bool]:
    """Create the queue; False if it was there already (and ``exist_ok``)."""

    def attempt(retry: int) -> Flow[bool]:
        try:
            yield from call("create_queue", key, settings)
        except QueueAlreadyExists:
            if retry:
                return True
            if exist_ok:
                return False
            raise
        return True

    created, _ = yield from retrying(policy, f"CreateQueue {key.name}", attempt)
    if created:
        # Proto3 cannot send a zero as a value: say it again under a mask.
        zeros = {p: settings[p] for p in ZERO_IS_A_VALUE if settings.get(p) == 0}
        if zeros:
            yield from repeatable(policy, "UpdateQueue", key, zeros)
    return created


def auto_create(
    policy: RetryPolicy,
    key: QueueKey,
    settings: Mapping[str, Value],
    declaration: QueueSpec | None,
) -> Flow[None]:
    """Create a queue a task was sent to; losing a race to another creator is
    fine, and a name in its deletion tombstone raises QueueRecentlyDeleted."""
    if not (yield from create_queue(policy, key, settings, exist_ok=True)):
        log.info("queue %s was created meanwhile by someone else", key.path)
        return
    if declaration is not None and declaration.state is State.PAUSED:
        yield from repeatable(policy, "PauseQueue", key)
    source = f"its declaration at {declaration.source}" if declaration else "options"
    log.info("created queue %s from %s", key.path, source)


def delete_queue(policy: RetryPolicy, key: QueueKey) -> Flow[None]:
    def attempt(retry: int) -> Flow[None]:
        try:
            yield from call("delete_queue", key)
        except QueueNotFound:
            if not retry:
                raise

    yield from retrying(policy, f"DeleteQueue {key.name}", attempt)


def repeatable(policy: RetryPolicy, rpc: str, *args: Any) -> Flow[Any]:
    """A call that is safe to repeat (``rpc`` as the API names it, e.g.
    "GetQueue"), retried on transient errors; its answer."""
    method = _method(rpc)
    subject = args[0].name if isinstance(args[0], QueueKey) else "/".join(args)

    def attempt(retry: int) -> Flow[Any]:
        return (yield from call(method, *args))

    return (yield from retrying(policy, f"{rpc} {subject}", attempt))[0]


def _method(rpc: str) -> str:
    """The backend's method for an RPC: "PauseQueue" is ``pause_queue``."""
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in rpc).lstrip("_")
