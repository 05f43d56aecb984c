"""The runtime client: enqueue HTTP tasks on Cloud Tasks queues.

::

    from queuekeeper import TaskManager, TaskSpec

    with TaskManager(project="my-project", location="europe-west1",
                     base_url="https://api.example.com",
                     auth_key=os.environ["WEBHOOK_API_KEY"]) as tm:
        tm.run("user-notifications", "/api/webhooks/send-welcome-email",
               payload={"user_id": "123"})
        tm.run_many(TaskSpec("user-notifications", "/api/webhooks/digest",
                             payload={"user_id": u}) for u in user_ids)

``AsyncTaskManager`` is the same for asyncio code (``await tm.run(...)``).

Nothing in this package imports grpc or google-cloud-tasks at import time:
the adapter (:mod:`queuekeeper.tasksapi`) is loaded on the first call that
needs the service, and never in test mode.
"""

from __future__ import annotations

from queuekeeper.client.asyncmanager import AsyncTaskManager
from queuekeeper.client.bulk import Outcomes, TaskSpec
from queuekeeper.client.manager import TaskManager
from queuekeeper.client.options import (
    OAuthToken,
    OidcToken,
    TaskOption,
    with_delay,
    with_dispatch_deadline,
    with_headers,
    with_method,
    with_name,
    with_oauth_token,
    with_oidc_token,
    with_payload,
    with_schedule_time,
)
from queuekeeper.client.queues import QueueInfo, QueueOptions
from queuekeeper.client.request import TaskResult
from queuekeeper.client.testmode import Outbox, RecordedQueueOperation, RecordedTask

__all__ = [
    "AsyncTaskManager",
    "OAuthToken",
    "OidcToken",
    "Outbox",
    "Outcomes",
    "QueueInfo",
    "QueueOptions",
    "RecordedQueueOperation",
    "RecordedTask",
    "TaskManager",
    "TaskOption",
    "TaskResult",
    "TaskSpec",
    "with_delay",
    "with_dispatch_deadline",
    "with_headers",
    "with_method",
    "with_name",
    "with_oauth_token",
    "with_oidc_token",
    "with_payload",
    "with_schedule_time",
]
