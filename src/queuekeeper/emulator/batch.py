"""BatchCreateTasks and BatchDeleteTasks, answered as finished operations.

Both are long-running operations in the API (facts: tasks). The emulator
does the work inside the call and answers a `google.longrunning.Operation`
that is already `done`, with the result packed in `response`, so the client's
`operation.result()` returns without polling (the emulator serves no
Operations service to poll). Per-item refusals go in the metadata's
`failed_requests`, keyed by the item's index. When every item fails, the
operation carries an ABORTED error instead of a response, as the API
documents for BatchDeleteTasks; BatchCreateTasks is taken to do the same.
"""

from __future__ import annotations

import secrets
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import grpc
from google.protobuf import empty_pb2

from .errors import ApiError, invalid
from .messages import (
    BatchCreateTasksMetadataPb,
    BatchCreateTasksResponsePb,
    BatchDeleteTasksMetadataPb,
    DeleteTaskRequestPb,
    OperationPb,
    StatusPb,
)
from .names import queue_parent, split_task_name
from .taskrules import in_view

if TYPE_CHECKING:
    from .taskservice import TaskService

MAX_CREATE = 100
MAX_DELETE = 1000
# The metadata State enums of both batch messages agree on these numbers.
_SUCCEEDED = 2
_CREATE_PARTIAL = 5
_DELETE_PARTIAL = 3
_KEPT_OPERATIONS = 1000


class Operations:
    """Answers kept by `request_id`, so a retried batch is not done twice."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._answers: OrderedDict[tuple[str, str], bytes] = OrderedDict()

    def once(self, key: tuple[str, str], make: Callable[[], Any]) -> Any:
        if not key[1]:
            return make()
        with self._lock:
            if key in self._answers:
                return OperationPb.FromString(self._answers[key])
        operation = make()
        with self._lock:
            self._answers[key] = operation.SerializeToString()
            while len(self._answers) > _KEPT_OPERATIONS:
                self._answers.popitem(last=False)
        return operation


def create_tasks(service: TaskService, request: Any, operations: Operations) -> Any:
    parent = request.parent
    queue_parent(parent)
    items = list(request.requests)
    if not 1 <= len(items) <= MAX_CREATE:
        raise invalid(f"A batch must hold between 1 and {MAX_CREATE} requests.")
    for item in items:
        # "The queue specified in parent field of each CreateTaskRequest will
        # be the same ... This validation happens ... in the handler."
        if item.parent and item.parent != parent:
            raise invalid(
                f"Every CreateTaskRequest.parent must be the batch's parent "
                f"('{parent}'); got '{item.parent}'."
            )
    service.check_queue(parent)

    def run() -> Any:
        def one(item: Any) -> Any:
            return in_view(service.add(parent, item.task), item.response_view)

        # One transaction for the batch (each item a savepoint in it): a
        # commit per task made concurrent batches queue on the database.
        with service.atomic():
            return _operation(service, parent, items, one, _CREATE_PARTIAL)

    return operations.once(("create", request.request_id), run)


def delete_tasks(service: TaskService, request: Any, operations: Operations) -> Any:
    parent = request.parent
    queue_parent(parent)
    names = list(request.names)
    if not 1 <= len(names) <= MAX_DELETE:
        raise invalid(f"A batch must hold between 1 and {MAX_DELETE} task names.")

    def one(name: str) -> None:
        if split_task_name(name)[0] != parent:
            raise invalid(f"Task '{name}' is not in queue '{parent}'.")
        service.delete_task(DeleteTaskRequestPb(name=name))

    def run() -> Any:
        return _operation(service, parent, names, one, _DELETE_PARTIAL)

    return operations.once(("delete", request.request_id), run)


def _operation(
    service: TaskService,
    parent: str,
    items: list[Any],
    one: Callable[[Any], Any],
    partial: int,
) -> Any:
    creating = partial == _CREATE_PARTIAL
    metadata = (
        BatchCreateTasksMetadataPb() if creating else BatchDeleteTasksMetadataPb()
    )
    metadata.start_time.FromMicroseconds(int(service.now() * 1_000_000))
    results = []
    for index, item in enumerate(items):
        try:
            results.append(one(item))
        except ApiError as error:
            metadata.failed_requests[index].CopyFrom(_status(error.code, error.message))
    metadata.end_time.FromMicroseconds(int(service.now() * 1_000_000))
    metadata.state = partial if metadata.failed_requests else _SUCCEEDED

    operation = OperationPb(name=_operation_name(parent), done=True)
    operation.metadata.Pack(metadata)
    if len(metadata.failed_requests) == len(items):
        kind = "BatchCreateTasksMetadata" if creating else "BatchDeleteTasksMetadata"
        operation.error.CopyFrom(
            _status(
                grpc.StatusCode.ABORTED,
                f"None of the requests succeeded, refer to {kind}.failed_requests "
                "for individual error details",
            )
        )
    elif creating:
        operation.response.Pack(BatchCreateTasksResponsePb(tasks=results))
    else:
        operation.response.Pack(empty_pb2.Empty())
    return operation


def _status(code: grpc.StatusCode, message: str) -> Any:
    return StatusPb(code=code.value[0], message=message)


def _operation_name(queue: str) -> str:
    location = queue.split("/queues/", 1)[0]
    return f"{location}/operations/{secrets.randbelow(10**19)}"
