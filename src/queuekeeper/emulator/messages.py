"""The raw protobuf classes behind the google-cloud-tasks types.

The official client wraps every message in proto-plus. The emulator works on the
underlying protobuf classes instead: they (de)serialise on the wire directly and
avoid a wrapper per queue when listing thousands of them.
"""

from __future__ import annotations

from typing import Any

from google.cloud import tasks_v2

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

STATE_RUNNING = int(tasks_v2.Queue.State.RUNNING)
STATE_PAUSED = int(tasks_v2.Queue.State.PAUSED)
STATE_DISABLED = int(tasks_v2.Queue.State.DISABLED)

STATES_BY_NAME: dict[str, int] = {
    "RUNNING": STATE_RUNNING,
    "PAUSED": STATE_PAUSED,
    "DISABLED": STATE_DISABLED,
}
