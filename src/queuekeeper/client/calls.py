"""Calls to the service with the TaskManager's rules: retries, what the
answer to a retry means, and auto-create.

A retried call may find its own earlier attempt done: a create that answers
ALREADY_EXISTS, or a delete that answers NOT_FOUND, on a retry (never on the
first attempt) is the earlier attempt's success whose answer was lost. So a
retry never makes a named task twice. An unnamed task is sent at least once:
a retry after a lost answer can make it twice.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping

from queuekeeper.apply import ZERO_IS_A_VALUE
from queuekeeper.client.backend import Backend, CreatedTask
from queuekeeper.client.request import TaskRequest
from queuekeeper.client.retry import RetryPolicy, with_retries
from queuekeeper.errors import (
    QueueAlreadyExists,
    QueueNotFound,
    TaskAlreadyExists,
    TransientError,
)
from queuekeeper.fields import State, Value
from queuekeeper.manifest import QueueKey, QueueSpec

log = logging.getLogger("queuekeeper.client")

# Makes the missing queue a task was sent to, or raises.
QueueMaker = Callable[[QueueNotFound], None]


def send_task(
    api: Backend,
    policy: RetryPolicy,
    request: TaskRequest,
    make_queue: QueueMaker | None,
) -> tuple[CreatedTask, int]:
    """Create the task, first its queue if missing and ``make_queue`` is
    given; the created task and the CreateTask calls made."""
    calls = 0

    def attempt(retry: int) -> CreatedTask:
        nonlocal calls
        calls += 1
        try:
            return api.create_task(request)
        except TaskAlreadyExists as exc:
            if not retry:
                raise
            log.info("task %s was created by an earlier attempt", exc.task)
            return CreatedTask(exc.task, request.schedule_time)

    what = f"CreateTask on {request.queue.name}"
    try:
        return with_retries(policy, what, attempt)[0], calls
    except QueueNotFound as missing:
        if make_queue is None:
            raise
        make_queue(missing)
    # "If you just created the queue, wait at least a minute for the queue to
    # initialize": NOT_FOUND right after our create is worth retrying.
    retry_on = (TransientError, QueueNotFound)
    return with_retries(policy, what, attempt, retry_on=retry_on)[0], calls


def create_queue(
    api: Backend,
    policy: RetryPolicy,
    key: QueueKey,
    settings: Mapping[str, Value],
    *,
    exist_ok: bool,
) -> bool:
    """Create the queue; False if it was there already (and ``exist_ok``)."""

    def attempt(retry: int) -> bool:
        try:
            api.create_queue(key, settings)
        except QueueAlreadyExists:
            if retry:
                return True
            if exist_ok:
                return False
            raise
        return True

    created, _ = with_retries(policy, f"CreateQueue {key.name}", attempt)
    if created:
        # Proto3 cannot send a zero as a value: say it again under a mask.
        zeros = {p: settings[p] for p in ZERO_IS_A_VALUE if settings.get(p) == 0}
        if zeros:
            call(api.update_queue, policy, "UpdateQueue", key, zeros)
    return created


def auto_create(
    api: Backend,
    policy: RetryPolicy,
    key: QueueKey,
    settings: Mapping[str, Value],
    declaration: QueueSpec | None,
) -> None:
    """Create a queue a task was sent to; losing a race to another creator is
    fine, and a name in its deletion tombstone raises QueueRecentlyDeleted."""
    if not create_queue(api, policy, key, settings, exist_ok=True):
        log.info("queue %s was created meanwhile by someone else", key.path)
        return
    if declaration is not None and declaration.state is State.PAUSED:
        call(api.pause_queue, policy, "PauseQueue", key)
    source = f"its declaration at {declaration.source}" if declaration else "options"
    log.info("created queue %s from %s", key.path, source)


def delete_queue(api: Backend, policy: RetryPolicy, key: QueueKey) -> None:
    def attempt(retry: int) -> None:
        try:
            api.delete_queue(key)
        except QueueNotFound:
            if not retry:
                raise

    with_retries(policy, f"DeleteQueue {key.name}", attempt)


def call(
    method: Callable[..., None],
    policy: RetryPolicy,
    what: str,
    key: QueueKey,
    *args: Mapping[str, Value],
) -> None:
    """A call that is safe to repeat, retried on transient errors."""
    with_retries(policy, f"{what} {key.name}", lambda retry: method(key, *args))
