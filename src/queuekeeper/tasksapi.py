"""The adapter the runtime client talks through: tasks and queue
administration over google-cloud-tasks, one attempt per call.

Like :mod:`queuekeeper.cloudtasks` (whose client, conversions and error
translation it reuses), this is a place that imports the official client;
the TaskManager imports it only when it first needs the service, so test
mode and ``queuekeeper validate`` never load gRPC. Nothing here retries:
the TaskManager does, since only it knows which answer belongs to which of
its own attempts. Errors are made specific with what the call was about:
NOT_FOUND names the queue, ALREADY_EXISTS the queue or the task.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import timezone
from typing import Any

from google.api_core import exceptions as gexc
from google.auth import exceptions as auth_exc
from google.cloud import tasks_v2
from google.protobuf import field_mask_pb2

from queuekeeper import errors
from queuekeeper.client.backend import CreatedTask
from queuekeeper.client.options import OidcToken
from queuekeeper.client.queues import QueueInfo
from queuekeeper.client.request import TaskRequest
from queuekeeper.cloudtasks import (
    LIST_PAGE_SIZE,
    make_client,
    to_live,
    to_queue_pb,
    translate,
)
from queuekeeper.fields import Value
from queuekeeper.limits import HTTP_METHODS
from queuekeeper.manifest import QueueKey

log = logging.getLogger(__name__)

_TaskPb: Any = type(tasks_v2.Task.pb(tasks_v2.Task()))
_CreateTaskRequestPb: Any = type(
    tasks_v2.CreateTaskRequest.pb(tasks_v2.CreateTaskRequest())
)
_METHODS = {name: int(getattr(tasks_v2.HttpMethod, name)) for name in HTTP_METHODS}
_VENDOR_ERRORS = (gexc.GoogleAPIError, auth_exc.GoogleAuthError)


def connect(emulator_host: str | None, timeout: float) -> TasksApi:
    """The service, or the emulator at ``emulator_host`` (else
    ``$CLOUD_TASKS_EMULATOR_HOST``); Google Cloud needs credentials."""
    return TasksApi(make_client(emulator_host), timeout)


class TasksApi:
    """One client, shared by every thread of one TaskManager."""

    def __init__(self, client: tasks_v2.CloudTasksClient, timeout: float) -> None:
        self.client = client
        self.timeout = timeout

    def create_task(self, request: TaskRequest) -> CreatedTask:
        message = _CreateTaskRequestPb(
            parent=request.queue.path, task=to_task_pb(request)
        )
        log.debug("CreateTask %s %s", request.queue.path, request.task_id or "")
        try:
            task = self.client.create_task(
                request=tasks_v2.CreateTaskRequest.wrap(message),
                retry=None,
                timeout=self.timeout,
            )
        except _VENDOR_ERRORS as exc:
            raise _task_error(exc, request) from exc
        created = tasks_v2.Task.pb(task)
        when = created.schedule_time.ToDatetime(tzinfo=timezone.utc)
        return CreatedTask(created.name, when)

    def create_queue(self, key: QueueKey, settings: Mapping[str, Value]) -> None:
        queue = tasks_v2.Queue.wrap(to_queue_pb(key, settings))
        self._call(
            "CreateQueue", key, self.client.create_queue, parent=key.parent, queue=queue
        )

    def update_queue(self, key: QueueKey, settings: Mapping[str, Value]) -> None:
        queue = tasks_v2.Queue.wrap(to_queue_pb(key, settings))
        mask = field_mask_pb2.FieldMask(paths=sorted(settings))
        self._call(
            "UpdateQueue", key, self.client.update_queue, queue=queue, update_mask=mask
        )

    def get_queue(self, key: QueueKey) -> QueueInfo:
        queue = self._call("GetQueue", key, self.client.get_queue, name=key.path)
        return _info(tasks_v2.Queue.pb(queue))

    def list_queues(self, project: str, location: str) -> list[QueueInfo]:
        parent = f"projects/{project}/locations/{location}"
        request = {"parent": parent, "page_size": LIST_PAGE_SIZE}
        log.debug("ListQueues %s", parent)
        try:  # later pages are fetched while iterating
            pager = self.client.list_queues(
                request=request, retry=None, timeout=self.timeout
            )
            return [_info(tasks_v2.Queue.pb(queue)) for queue in pager]
        except _VENDOR_ERRORS as exc:
            raise translate(exc) from exc

    def pause_queue(self, key: QueueKey) -> None:
        self._call("PauseQueue", key, self.client.pause_queue, name=key.path)

    def resume_queue(self, key: QueueKey) -> None:
        self._call("ResumeQueue", key, self.client.resume_queue, name=key.path)

    def purge_queue(self, key: QueueKey) -> None:
        self._call("PurgeQueue", key, self.client.purge_queue, name=key.path)

    def delete_queue(self, key: QueueKey) -> None:
        self._call("DeleteQueue", key, self.client.delete_queue, name=key.path)

    def close(self) -> None:
        self.client.transport.close()  # type: ignore[no-untyped-call]

    def _call(self, what: str, key: QueueKey, method: Any, **fields: Any) -> Any:
        log.debug("%s %s", what, key.path)
        try:
            return method(**fields, retry=None, timeout=self.timeout)
        except _VENDOR_ERRORS as exc:
            raise _specific(exc, key, creating=what == "CreateQueue") from exc


def to_task_pb(request: TaskRequest) -> Any:
    """The raw ``Task`` message for a checked request."""
    task = _TaskPb()
    if request.task_name is not None:
        task.name = request.task_name
    http = task.http_request
    http.url = request.url
    http.http_method = _METHODS[request.method]
    for name, value in request.headers:
        http.headers[name] = value
    if request.body:
        http.body = request.body
    token = request.token
    if isinstance(token, OidcToken):
        http.oidc_token.service_account_email = token.service_account_email
        http.oidc_token.audience = token.audience or ""
    elif token is not None:
        http.oauth_token.service_account_email = token.service_account_email
        if token.scope:
            http.oauth_token.scope = token.scope
    if request.schedule_time is not None:
        task.schedule_time.FromDatetime(request.schedule_time)
    if request.dispatch_deadline is not None:
        task.dispatch_deadline.FromTimedelta(request.dispatch_deadline)
    return task


def _specific(
    exc: Exception, queue: QueueKey, *, task: str | None = None, creating: bool = False
) -> errors.QueuekeeperError:
    """Our most specific error for what a call about ``queue`` answered."""
    error = translate(exc)
    if not isinstance(error, errors.ApiError):
        return error
    if isinstance(error, errors.NotFoundError):
        return errors.QueueNotFound(queue.path, error.api_message)
    if isinstance(error, errors.AlreadyExistsError):
        if task is not None:
            return errors.TaskAlreadyExists(task)
        return errors.QueueAlreadyExists(queue.path) if creating else error
    if creating and isinstance(error, errors.FailedPreconditionError):
        # The code, not the text, says it: the only precondition CreateQueue
        # has is that the name is not in its deletion tombstone.
        return errors.QueueRecentlyDeleted(queue.path, error.api_message)
    return error


def _task_error(exc: Exception, request: TaskRequest) -> errors.QueuekeeperError:
    error = _specific(exc, request.queue, task=request.task_name)
    if isinstance(error, errors.InvalidArgumentError):
        return errors.InvalidTask("refused by Cloud Tasks", error.api_message)
    return error


def _info(queue: Any) -> QueueInfo:
    live = to_live(queue)
    return QueueInfo(live.key.path, live.state, live.settings, live.max_burst_size)
