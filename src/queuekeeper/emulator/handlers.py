"""gRPC glue: the RPC table served as `google.cloud.tasks.v2.CloudTasks`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import grpc
from google.protobuf import empty_pb2

from . import messages as pb
from .errors import ApiError
from .rpc import Rpc, RpcTable, unimplemented
from .service import QueueService
from .taskservice import TaskService

# The rest of the service. They are registered (rather than left to gRPC's
# "method not found") so that they are counted and answer a clear message.
_NOT_YET = (
    "GetIamPolicy",
    "SetIamPolicy",
    "TestIamPermissions",
    "UpdateCmekConfig",
    "GetCmekConfig",
)


def queue_rpcs(service: QueueService) -> dict[str, Rpc]:
    """Every queue RPC of the service, by method name."""
    table = (
        (
            "ListQueues",
            service.list_queues,
            pb.ListQueuesRequestPb,
            pb.ListQueuesResponsePb,
        ),
        ("GetQueue", service.get_queue, pb.GetQueueRequestPb, pb.QueuePb),
        ("CreateQueue", service.create_queue, pb.CreateQueueRequestPb, pb.QueuePb),
        ("UpdateQueue", service.update_queue, pb.UpdateQueueRequestPb, pb.QueuePb),
        (
            "DeleteQueue",
            _returning_empty(service.delete_queue),
            pb.DeleteQueueRequestPb,
            empty_pb2.Empty,
        ),
        ("PurgeQueue", service.purge_queue, pb.PurgeQueueRequestPb, pb.QueuePb),
        ("PauseQueue", service.pause_queue, pb.PauseQueueRequestPb, pb.QueuePb),
        ("ResumeQueue", service.resume_queue, pb.ResumeQueueRequestPb, pb.QueuePb),
    )
    rpcs = {name: Rpc(name, call, req, resp) for name, call, req, resp in table}
    for name in _NOT_YET:
        rpcs.setdefault(name, Rpc(name, unimplemented(name), None, None))
    return rpcs


def task_rpcs(service: TaskService) -> dict[str, Rpc]:
    """Every task RPC of the service, by method name."""
    table = (
        (
            "ListTasks",
            service.list_tasks,
            pb.ListTasksRequestPb,
            pb.ListTasksResponsePb,
        ),
        ("GetTask", service.get_task, pb.GetTaskRequestPb, pb.TaskPb),
        ("CreateTask", service.create_task, pb.CreateTaskRequestPb, pb.TaskPb),
        (
            "DeleteTask",
            _returning_empty(service.delete_task),
            pb.DeleteTaskRequestPb,
            empty_pb2.Empty,
        ),
        ("RunTask", service.run_task, pb.RunTaskRequestPb, pb.TaskPb),
        (
            "BatchCreateTasks",
            service.batch_create_tasks,
            pb.BatchCreateTasksRequestPb,
            pb.OperationPb,
        ),
        (
            "BatchDeleteTasks",
            service.batch_delete_tasks,
            pb.BatchDeleteTasksRequestPb,
            pb.OperationPb,
        ),
    )
    return {name: Rpc(name, call, req, resp) for name, call, req, resp in table}


def generic_handler(table: RpcTable) -> Any:
    """One `grpc.GenericRpcHandler` serving every method of the table."""
    handlers = {name: _unary(table, rpc) for name, rpc in table.rpcs.items()}
    return grpc.method_handlers_generic_handler(pb.SERVICE_NAME, handlers)


def _unary(table: RpcTable, rpc: Rpc) -> Any:
    def handle(request: Any, context: Any) -> Any:
        try:
            return table.invoke(rpc.name, request)
        except ApiError as error:
            # abort() raises, ending the RPC with this status.
            context.abort(error.code, error.message)

    if rpc.request_type is None:  # not implemented: the request stays raw bytes
        return grpc.unary_unary_rpc_method_handler(handle)
    return grpc.unary_unary_rpc_method_handler(
        handle,
        request_deserializer=rpc.request_type.FromString,
        response_serializer=rpc.response_type.SerializeToString,
    )


def _returning_empty(call: Callable[[Any], None]) -> Callable[[Any], Any]:
    def wrapped(request: Any) -> Any:
        call(request)
        return empty_pb2.Empty()

    return wrapped
