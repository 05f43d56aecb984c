"""The raw protobuf classes behind the google-cloud-tasks types.

The official client wraps every message in proto-plus. The emulator works on the
underlying protobuf classes instead: they (de)serialise on the wire directly and
avoid a wrapper per queue when listing thousands of them.
"""

from __future__ import annotations

from typing import Any

from google.cloud import tasks_v2
from google.longrunning import operations_pb2
from google.rpc import status_pb2

SERVICE_NAME = "google.cloud.tasks.v2.CloudTasks"

# proto-plus exposes no typing for `pb()`; the classes are plain protobuf messages.
QueuePb: Any = tasks_v2.Queue.pb()
ListQueuesRequestPb: Any = tasks_v2.ListQueuesRequest.pb()
ListQueuesResponsePb: Any = tasks_v2.ListQueuesResponse.pb()
GetQueueRequestPb: Any = tasks_v2.GetQueueRequest.pb()
CreateQueueRequestPb: Any = tasks_v2.CreateQueueRequest.pb()
UpdateQueueRequestPb: Any = tasks_v2.UpdateQueueRequest.pb()
DeleteQueueRequestPb: Any = tasks_v2.DeleteQueueRequest.pb()
PurgeQueueRequestPb: Any = tasks_v2.PurgeQueueRequest.pb()
PauseQueueRequestPb: Any = tasks_v2.PauseQueueRequest.pb()
ResumeQueueRequestPb: Any = tasks_v2.ResumeQueueRequest.pb()

TaskPb: Any = tasks_v2.Task.pb()
AttemptPb: Any = tasks_v2.Attempt.pb()
ListTasksRequestPb: Any = tasks_v2.ListTasksRequest.pb()
ListTasksResponsePb: Any = tasks_v2.ListTasksResponse.pb()
GetTaskRequestPb: Any = tasks_v2.GetTaskRequest.pb()
CreateTaskRequestPb: Any = tasks_v2.CreateTaskRequest.pb()
DeleteTaskRequestPb: Any = tasks_v2.DeleteTaskRequest.pb()
RunTaskRequestPb: Any = tasks_v2.RunTaskRequest.pb()
BatchCreateTasksRequestPb: Any = tasks_v2.BatchCreateTasksRequest.pb()
BatchCreateTasksResponsePb: Any = tasks_v2.BatchCreateTasksResponse.pb()
BatchCreateTasksMetadataPb: Any = tasks_v2.BatchCreateTasksMetadata.pb()
BatchDeleteTasksRequestPb: Any = tasks_v2.BatchDeleteTasksRequest.pb()
BatchDeleteTasksMetadataPb: Any = tasks_v2.BatchDeleteTasksMetadata.pb()
OperationPb: Any = operations_pb2.Operation
StatusPb: Any = status_pb2.Status

STATE_RUNNING = int(tasks_v2.Queue.State.RUNNING)
STATE_PAUSED = int(tasks_v2.Queue.State.PAUSED)
STATE_DISABLED = int(tasks_v2.Queue.State.DISABLED)

VIEW_BASIC = int(tasks_v2.Task.View.BASIC)
VIEW_FULL = int(tasks_v2.Task.View.FULL)

METHOD_POST = int(tasks_v2.HttpMethod.POST)
_METHODS = ("POST", "GET", "HEAD", "PUT", "DELETE", "PATCH", "OPTIONS")
METHOD_NAMES: dict[int, str] = {
    int(getattr(tasks_v2.HttpMethod, m)): m for m in _METHODS
}

SCHEME_HTTP = int(tasks_v2.UriOverride.Scheme.HTTP)
ENFORCE_IF_NOT_EXISTS = int(tasks_v2.UriOverride.UriOverrideEnforceMode.IF_NOT_EXISTS)

STATES_BY_NAME: dict[str, int] = {
    "RUNNING": STATE_RUNNING,
    "PAUSED": STATE_PAUSED,
    "DISABLED": STATE_DISABLED,
}
