"""gRPC glue: method handlers for `google.cloud.tasks.v2.CloudTasks` and call counts."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import grpc
from google.protobuf import empty_pb2

from . import messages as pb
from .errors import ApiError
from .faults import AFTER, BEFORE, Faults
from .service import QueueService

# The rest of the service; tasks arrive in a later stage. They are registered
# (rather than left to gRPC's "method not found") so that they are counted.
_NOT_YET = (
    "GetIamPolicy",
    "SetIamPolicy",
    "TestIamPermissions",
    "ListTasks",
    "GetTask",
    "CreateTask",
    "BatchCreateTasks",
    "DeleteTask",
    "BatchDeleteTasks",
    "RunTask",
    "UpdateCmekConfig",
    "GetCmekConfig",
)


class CallCounter:
    """How many calls each RPC method received; safe across handler threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: dict[str, int] = {}

    def add(self, method: str) -> None:
        with self._lock:
            self._counts[method] = self._counts.get(method, 0) + 1

    def snapshot(self) -> dict[str, int]:
        with self._lock:
            return dict(self._counts)

    def reset(self) -> None:
        with self._lock:
            self._counts.clear()


def generic_handler(service: QueueService, counter: CallCounter, faults: Faults) -> Any:
    """One `grpc.GenericRpcHandler` serving every method of the service."""
    queue_methods: dict[str, tuple[Callable[[Any], Any], Any, Any]] = {
        "ListQueues": (
            service.list_queues,
            pb.ListQueuesRequestPb,
            pb.ListQueuesResponsePb,
        ),
        "GetQueue": (service.get_queue, pb.GetQueueRequestPb, pb.QueuePb),
        "CreateQueue": (service.create_queue, pb.CreateQueueRequestPb, pb.QueuePb),
        "UpdateQueue": (service.update_queue, pb.UpdateQueueRequestPb, pb.QueuePb),
        "DeleteQueue": (
            _returning_empty(service.delete_queue),
            pb.DeleteQueueRequestPb,
            empty_pb2.Empty,
        ),
        "PurgeQueue": (service.purge_queue, pb.PurgeQueueRequestPb, pb.QueuePb),
        "PauseQueue": (service.pause_queue, pb.PauseQueueRequestPb, pb.QueuePb),
        "ResumeQueue": (service.resume_queue, pb.ResumeQueueRequestPb, pb.QueuePb),
    }
    handlers = {
        name: _unary(name, call, request_type, response_type, counter, faults)
        for name, (call, request_type, response_type) in queue_methods.items()
    }
    for name in _NOT_YET:
        handlers[name] = _unimplemented(name, counter)
    return grpc.method_handlers_generic_handler(pb.SERVICE_NAME, handlers)


def _unary(
    method: str,
    call: Callable[[Any], Any],
    request_type: Any,
    response_type: Any,
    counter: CallCounter,
    faults: Faults,
) -> Any:
    def handle(request: Any, context: Any) -> Any:
        counter.add(method)
        _maybe_fail(faults, method, BEFORE, context)
        try:
            response = call(request)
        except ApiError as error:
            # abort() raises, ending the RPC with this status.
            context.abort(error.code, error.message)
        _maybe_fail(faults, method, AFTER, context)
        return response

    return grpc.unary_unary_rpc_method_handler(
        handle,
        request_deserializer=request_type.FromString,
        response_serializer=response_type.SerializeToString,
    )


def _maybe_fail(faults: Faults, method: str, when: str, context: Any) -> None:
    code = faults.draw(method, when)
    if code is not None:
        context.abort(code, f"Injected fault ({when} {method}).")


def _unimplemented(method: str, counter: CallCounter) -> Any:
    def handle(request: bytes, context: Any) -> bytes:
        counter.add(method)
        context.abort(
            grpc.StatusCode.UNIMPLEMENTED,
            f"{method} is not implemented by the queuekeeper emulator yet.",
        )
        raise AssertionError("unreachable: abort() raises")

    # No (de)serialisers: the request stays raw bytes, never parsed.
    return grpc.unary_unary_rpc_method_handler(handle)


def _returning_empty(call: Callable[[Any], None]) -> Callable[[Any], Any]:
    def wrapped(request: Any) -> Any:
        call(request)
        return empty_pb2.Empty()

    return wrapped
