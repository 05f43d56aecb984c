"""The adapter the runtime client talks through: tasks and queue
administration over google-cloud-tasks, one attempt per call.

Like :mod:`queuekeeper.cloudtasks` (whose client, conversions and error
translation it reuses), this is a place that imports the official client;
the TaskManager imports it only when it first needs the service, so test
mode and ``queuekeeper validate`` never load gRPC. Nothing here retries:
the TaskManager does, since only it knows which answer belongs to which of
its own attempts. Errors are made specific with what the call was about:
NOT_FOUND names the queue, ALREADY_EXISTS the queue or the task.

:class:`TasksApi` serves the TaskManager, :class:`AsyncTasksApi` (over
``CloudTasksAsyncClient`` and gRPC's asyncio transport) the
AsyncTaskManager; the two differ only in awaiting, and share every
conversion. BatchCreateTasks answers a long-running operation: its tasks
come back one outcome each, a refused one as our error for it.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import os
from collections.abc import Mapping, Sequence
from datetime import timezone
from typing import Any

import grpc
from google.api_core import exceptions as gexc
from google.auth import exceptions as auth_exc
from google.cloud import tasks_v2
from google.cloud.tasks_v2.services.cloud_tasks.transports import (
    CloudTasksGrpcAsyncIOTransport,
)
from google.protobuf import field_mask_pb2

from queuekeeper import errors
from queuekeeper.client.backend import CreatedTask
from queuekeeper.client.options import OidcToken
from queuekeeper.client.queues import QueueInfo
from queuekeeper.client.request import TaskRequest
from queuekeeper.cloudtasks import (
    EMULATOR_HOST_ENV,
    LIST_PAGE_SIZE,
    check_reachable,
    make_client,
    no_credentials,
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
_BatchRequestPb: Any = type(
    tasks_v2.BatchCreateTasksRequest.pb(tasks_v2.BatchCreateTasksRequest())
)
_BatchResponsePb: Any = type(
    tasks_v2.BatchCreateTasksResponse.pb(tasks_v2.BatchCreateTasksResponse())
)
_BatchMetadataPb: Any = type(
    tasks_v2.BatchCreateTasksMetadata.pb(tasks_v2.BatchCreateTasksMetadata())
)
_TIMEOUTS = (TimeoutError, concurrent.futures.TimeoutError, asyncio.TimeoutError)
_METHODS = {name: int(getattr(tasks_v2.HttpMethod, name)) for name in HTTP_METHODS}
_VENDOR_ERRORS = (gexc.GoogleAPIError, auth_exc.GoogleAuthError)


def connect(emulator_host: str | None, timeout: float) -> TasksApi:
    """The service, or the emulator at ``emulator_host`` (else
    ``$CLOUD_TASKS_EMULATOR_HOST``); Google Cloud needs credentials."""
    return TasksApi(make_client(emulator_host), timeout)


async def connect_async(emulator_host: str | None, timeout: float) -> AsyncTasksApi:
    """As :func:`connect`, on an asyncio channel of the running event loop."""
    host = emulator_host or os.environ.get(EMULATOR_HOST_ENV)
    if host:
        await asyncio.to_thread(check_reachable, host)  # it blocks
        transport = CloudTasksGrpcAsyncIOTransport(
            channel=grpc.aio.insecure_channel(host)
        )
        return AsyncTasksApi(
            tasks_v2.CloudTasksAsyncClient(transport=transport), timeout
        )
    try:
        return AsyncTasksApi(tasks_v2.CloudTasksAsyncClient(), timeout)
    except auth_exc.DefaultCredentialsError as exc:
        raise no_credentials(exc) from exc


class TasksApi:
    """One client, shared by every thread of one TaskManager."""

    def __init__(self, client: tasks_v2.CloudTasksClient, timeout: float) -> None:
        self.client = client
        self.timeout = timeout

    def create_task(self, request: TaskRequest) -> CreatedTask:
        log.debug("CreateTask %s %s", request.queue.path, request.task_id or "")
        try:
            task = self.client.create_task(
                request=_create_request(request), retry=None, timeout=self.timeout
            )
        except _VENDOR_ERRORS as exc:
            raise _task_error(exc, request) from exc
        return _created(tasks_v2.Task.pb(task))

    def create_tasks(
        self, requests: Sequence[TaskRequest], request_id: str
    ) -> list[CreatedTask | errors.QueuekeeperError]:
        """BatchCreateTasks: up to 100 tasks of one queue, an outcome each."""
        queue = requests[0].queue
        log.debug("BatchCreateTasks %s (%d tasks)", queue.path, len(requests))
        try:
            operation = self.client.batch_create_tasks(
                request=_batch_request(requests, request_id),
                retry=None,
                timeout=self.timeout,
            )
            if not operation.operation.done:
                _wait(operation, self.timeout)
        except _VENDOR_ERRORS as exc:
            raise _specific(exc, queue) from exc
        return _batch_outcomes(operation.operation, requests)

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


class AsyncTasksApi:
    """:class:`TasksApi` to be awaited, on one event loop's channel."""

    def __init__(self, client: tasks_v2.CloudTasksAsyncClient, timeout: float) -> None:
        self.client = client
        self.timeout = timeout

    async def create_task(self, request: TaskRequest) -> CreatedTask:
        log.debug("CreateTask %s %s", request.queue.path, request.task_id or "")
        try:
            task = await self.client.create_task(
                request=_create_request(request), retry=None, timeout=self.timeout
            )
        except _VENDOR_ERRORS as exc:
            raise _task_error(exc, request) from exc
        return _created(tasks_v2.Task.pb(task))

    async def create_tasks(
        self, requests: Sequence[TaskRequest], request_id: str
    ) -> list[CreatedTask | errors.QueuekeeperError]:
        queue = requests[0].queue
        log.debug("BatchCreateTasks %s (%d tasks)", queue.path, len(requests))
        try:
            operation = await self.client.batch_create_tasks(
                request=_batch_request(requests, request_id),
                retry=None,
                timeout=self.timeout,
            )
            if not operation.operation.done:
                await _wait_async(operation, self.timeout)
        except _VENDOR_ERRORS as exc:
            raise _specific(exc, queue) from exc
        return _batch_outcomes(operation.operation, requests)

    async def create_queue(self, key: QueueKey, settings: Mapping[str, Value]) -> None:
        queue = tasks_v2.Queue.wrap(to_queue_pb(key, settings))
        await self._call(
            "CreateQueue", key, self.client.create_queue, parent=key.parent, queue=queue
        )

    async def update_queue(self, key: QueueKey, settings: Mapping[str, Value]) -> None:
        queue = tasks_v2.Queue.wrap(to_queue_pb(key, settings))
        mask = field_mask_pb2.FieldMask(paths=sorted(settings))
        await self._call(
            "UpdateQueue", key, self.client.update_queue, queue=queue, update_mask=mask
        )

    async def get_queue(self, key: QueueKey) -> QueueInfo:
        queue = await self._call("GetQueue", key, self.client.get_queue, name=key.path)
        return _info(tasks_v2.Queue.pb(queue))

    async def list_queues(self, project: str, location: str) -> list[QueueInfo]:
        parent = f"projects/{project}/locations/{location}"
        request = {"parent": parent, "page_size": LIST_PAGE_SIZE}
        log.debug("ListQueues %s", parent)
        try:  # later pages are fetched while iterating
            pager = await self.client.list_queues(
                request=request, retry=None, timeout=self.timeout
            )
            return [_info(tasks_v2.Queue.pb(queue)) async for queue in pager]
        except _VENDOR_ERRORS as exc:
            raise translate(exc) from exc

    async def pause_queue(self, key: QueueKey) -> None:
        await self._call("PauseQueue", key, self.client.pause_queue, name=key.path)

    async def resume_queue(self, key: QueueKey) -> None:
        await self._call("ResumeQueue", key, self.client.resume_queue, name=key.path)

    async def purge_queue(self, key: QueueKey) -> None:
        await self._call("PurgeQueue", key, self.client.purge_queue, name=key.path)

    async def delete_queue(self, key: QueueKey) -> None:
        await self._call("DeleteQueue", key, self.client.delete_queue, name=key.path)

    async def close(self) -> None:
        await self.client.transport.close()  # type: ignore[no-untyped-call]

    async def _call(self, what: str, key: QueueKey, method: Any, **fields: Any) -> Any:
        log.debug("%s %s", what, key.path)
        try:
            return await method(**fields, retry=None, timeout=self.timeout)
        except _VENDOR_ERRORS as exc:
            raise _specific(exc, key, creating=what == "CreateQueue") from exc


def _create_request(request: TaskRequest) -> Any:
    message = _CreateTaskRequestPb(parent=request.queue.path, task=to_task_pb(request))
    return tasks_v2.CreateTaskRequest.wrap(message)


def _batch_request(requests: Sequence[TaskRequest], request_id: str) -> Any:
    parent = requests[0].queue.path
    message = _BatchRequestPb(
        parent=parent,
        requests=[
            _CreateTaskRequestPb(parent=parent, task=to_task_pb(r)) for r in requests
        ],
        request_id=request_id,
    )
    return tasks_v2.BatchCreateTasksRequest.wrap(message)


def _batch_outcomes(
    operation: Any, requests: Sequence[TaskRequest]
) -> list[CreatedTask | errors.QueuekeeperError]:
    """Each task's outcome from a finished BatchCreateTasks operation: the
    metadata's ``failed_requests`` by index, the response's ``tasks`` (those
    created, in order) for the rest."""
    queue = requests[0].queue
    metadata, response = _BatchMetadataPb(), _BatchResponsePb()
    if operation.HasField("metadata"):
        operation.metadata.Unpack(metadata)
    failed = metadata.failed_requests
    if not operation.done:
        raise errors.TransientError("DEADLINE_EXCEEDED", "BatchCreateTasks not done")
    if operation.HasField("error") and len(failed) < len(requests):
        # Not about the tasks one by one: the batch failed as a whole.
        status = _vendor_error(operation.error)
        raise _specific(status, queue) from status
    if operation.HasField("response"):
        operation.response.Unpack(response)
    created = iter(response.tasks)
    outcomes: list[CreatedTask | errors.QueuekeeperError] = []
    for index, request in enumerate(requests):
        if index in failed:
            status = failed[index]
            cause = _vendor_error(status)
            error = _task_error(cause, request)
            error.__cause__ = cause
            outcomes.append(error)
            continue
        task = next(created, None)
        if task is None:
            raise errors.ApiError("UNKNOWN", "BatchCreateTasks left out tasks")
        outcomes.append(_created(task))
    return outcomes


def _vendor_error(status: Any) -> gexc.GoogleAPICallError:
    """The client's exception for a ``google.rpc.Status`` in an operation."""
    make: Any = gexc.from_grpc_status  # untyped in google-api-core
    error: gexc.GoogleAPICallError = make(status.code, status.message)
    return error


# The emulator answers BatchCreateTasks with a finished operation; the
# service may not. Then it is polled, and whatever it says is read after.


def _wait(operation: Any, timeout: float) -> None:
    try:
        operation.result(timeout=timeout)
    except (gexc.GoogleAPICallError, *_TIMEOUTS):
        pass


async def _wait_async(operation: Any, timeout: float) -> None:
    try:
        await operation.result(timeout=timeout)
    except (gexc.GoogleAPICallError, *_TIMEOUTS):
        pass


def _created(task: Any) -> CreatedTask:
    when = task.schedule_time.ToDatetime(tzinfo=timezone.utc)
    return CreatedTask(task.name, when)


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
