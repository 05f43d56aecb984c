"""What an attempt does to its task: counts, attempt times, and what comes next.

Pure functions on a `TaskRow`, applied by the dispatcher when an attempt starts
and when it ends (answered, timed out or refused).
"""

from __future__ import annotations

from http import HTTPStatus

import grpc

from .backoff import THROTTLING_STATUSES, RetryPolicy, retry_after
from .dispatchlog import Outcome
from .sender import DEADLINE_EXCEEDED, Reply
from .taskstore import TaskRow, micros

# HTTP status to google.rpc.Code, as google/rpc/code.proto maps them, for
# `Attempt.response_status`.
_CODES = {
    400: grpc.StatusCode.INVALID_ARGUMENT,
    401: grpc.StatusCode.UNAUTHENTICATED,
    403: grpc.StatusCode.PERMISSION_DENIED,
    404: grpc.StatusCode.NOT_FOUND,
    409: grpc.StatusCode.ABORTED,
    429: grpc.StatusCode.RESOURCE_EXHAUSTED,
    499: grpc.StatusCode.CANCELLED,
    500: grpc.StatusCode.INTERNAL,
    501: grpc.StatusCode.UNIMPLEMENTED,
    503: grpc.StatusCode.UNAVAILABLE,
    504: grpc.StatusCode.DEADLINE_EXCEEDED,
}


def start(row: TaskRow, now: float) -> None:
    """Count a dispatch and stamp the attempt (`first_attempt` keeps only its
    dispatch time, as the Task doc says)."""
    task = row.task
    at = _micros(now)
    task.dispatch_count += 1
    if not task.first_attempt.HasField("dispatch_time"):
        task.first_attempt.dispatch_time.FromMicroseconds(at)
    task.last_attempt.Clear()
    task.last_attempt.schedule_time.CopyFrom(task.schedule_time)
    task.last_attempt.dispatch_time.FromMicroseconds(at)


def settle(row: TaskRow, reply: Reply, policy: RetryPolicy, end: float) -> Outcome:
    """Record how the attempt ended and decide what happens to the task.

    A 2xx completes it; anything else is retried after the backoff (or a
    longer `Retry-After` on 429/503) until the policy gives up.
    """
    task = row.task
    _record_reply(row, reply, end)
    if reply.status is not None and 200 <= reply.status < 300:
        return Outcome.SUCCEEDED
    first = micros(task.first_attempt.dispatch_time) / 1_000_000
    if policy.gives_up(task.dispatch_count, first, end):
        return Outcome.FAILED
    delay = policy.delay(task.dispatch_count)
    if reply.status in THROTTLING_STATUSES:
        asked = retry_after(reply.retry_after, end)
        if asked is not None:
            delay = max(delay, asked)
    task.schedule_time.FromMicroseconds(_micros(end + delay))
    return Outcome.RETRYING


def _record_reply(row: TaskRow, reply: Reply, end: float) -> None:
    attempt = row.task.last_attempt
    attempt.response_time.FromMicroseconds(_micros(end))
    if reply.status is None:
        code = (
            grpc.StatusCode.DEADLINE_EXCEEDED
            if reply.error == DEADLINE_EXCEEDED
            else grpc.StatusCode.UNAVAILABLE
        )
        attempt.response_status.code = code.value[0]
        attempt.response_status.message = reply.error
        row.previous_response = 0
        return
    row.task.response_count += 1
    attempt.response_status.code = _code(reply.status).value[0]
    attempt.response_status.message = _phrase(reply.status)
    row.previous_response = reply.status
    # X-CloudTasks-TaskExecutionCount leaves out 5xx answers (facts: tasks).
    if reply.status < 500:
        row.executions += 1


def _code(status: int) -> grpc.StatusCode:
    if 200 <= status < 300:
        return grpc.StatusCode.OK
    return _CODES.get(status, grpc.StatusCode.UNKNOWN)


def _phrase(status: int) -> str:
    try:
        return f"{status} {HTTPStatus(status).phrase}"
    except ValueError:
        return str(status)


def _micros(seconds: float) -> int:
    # Attempt and schedule times are truncated to microseconds.
    return int(seconds * 1_000_000)
