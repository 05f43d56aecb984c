"""The one error type of the emulator: a gRPC status code with its message.

Queue logic raises `ApiError`; the service layer turns it into `context.abort`, so
only `service.py` knows about gRPC contexts.
"""

from __future__ import annotations

import grpc

# Messages recorded against production Cloud Tasks (reference §5.8).
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
