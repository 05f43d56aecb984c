"""The one error type of the emulator: a gRPC status code with its message.

Queue and task logic raise `ApiError`; `handlers.py` turns it into
`context.abort`, so only the surfaces know about gRPC contexts. The messages
below are production's own (facts: queue administration) unless a comment
says otherwise.
"""

from __future__ import annotations

import grpc

# Messages recorded against production Cloud Tasks (facts: queue administration).
QUEUE_NOT_FOUND = (
    "Queue does not exist. If you just created the queue, wait at least a minute "
    "for the queue to initialize."
)
ENTITY_NOT_FOUND = "Requested entity was not found."
QUEUE_EXISTS = "Queue already exists"
QUEUE_TOMBSTONED = (
    "The queue cannot be created because a queue with this name existed too recently."
)
BAD_QUEUE_NAME = (
    'Queue name must be formatted: "projects/<PROJECT_ID>/locations/'
    '<LOCATION_ID>/queues/<QUEUE_ID>".'
)

TASK_EXISTS = "Requested entity already exists"
TASK_GONE = (
    "The task no longer exists, though a task with this name existed recently. "
    "The task either successfully completed or was deleted."
)
BAD_TASK_NAME = (
    'Task name must be formatted: "projects/<PROJECT_ID>/locations/<LOCATION_ID>/'
    'queues/<QUEUE_ID>/tasks/<TASK_ID>"'
)
# Also as production answers.
URL_REQUIRED = "HttpRequest.url is required."
URL_SCHEME = "HttpTarget.url must start with 'http://' or 'https://'."


def bad_task_id(task_id: str) -> str:
    """The recorded message for a task ID outside `[A-Za-z0-9_-]{1,500}`."""
    # "must between" is sic: production says it that way (facts: names).
    return (
        f'Task ID "{task_id}" can contain only letters ([A-Za-z]), numbers '
        "([0-9]), hyphens (-), or underscores (_). Task ID must between 1 and "
        "500 characters."
    )


def queue_mismatch(request_queue: str, task_queue: str) -> str:
    """The recorded message for a named task under another queue."""
    return (
        f"The queue name from request ('{request_queue}') must be the same as "
        f"the queue name in the named task ('{task_queue}')."
    )


class ApiError(Exception):
    """A request the real API would refuse, with the status it would send."""

    def __init__(self, code: grpc.StatusCode, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def invalid(message: str) -> ApiError:
    return ApiError(grpc.StatusCode.INVALID_ARGUMENT, message)


def queue_not_found() -> ApiError:
    return ApiError(grpc.StatusCode.NOT_FOUND, QUEUE_NOT_FOUND)
