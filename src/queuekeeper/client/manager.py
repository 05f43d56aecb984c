"""The TaskManager: HTTP tasks onto Cloud Tasks queues, and the queues.

One google-cloud-tasks client per TaskManager, built on first use and shared
by every thread; ``close()`` releases it. In test mode no client is ever
built: a :class:`~queuekeeper.client.testmode.Recorder` takes its place.
What it shares with :class:`~queuekeeper.client.asyncmanager.AsyncTaskManager`
(settings, checks, auto-create, the rules of each call as flows) is in
:mod:`queuekeeper.client.core`; this module runs those flows, blocking.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from types import TracebackType
from typing import Any, TypeVar

from queuekeeper import errors
from queuekeeper.client import observe
from queuekeeper.client.backend import Backend
from queuekeeper.client.bulk import Outcomes, TaskSpec
from queuekeeper.client.core import PARALLEL_CALLS, ManagerCore
from queuekeeper.client.flow import Flow, drive
from queuekeeper.client.options import (
    OAuthToken,
    OidcToken,
    TaskOption,
    TaskSettings,
    resolve,
)
from queuekeeper.client.queueadmin import QueueAdministration
from queuekeeper.client.request import TaskResult

T = TypeVar("T")


class TaskManager(ManagerCore, QueueAdministration):
    """Enqueue HTTP tasks on ``base_url`` + path; manage the queues.

    Every argument is a keyword. ``auth_key`` goes out as ``X-API-Key`` on
    every task. A queue a task is sent to that does not exist is created
    (unless ``auto_create=False``) from its declaration (``declarations``, as
    ``from_manifest`` passes them), else from ``queue_options``.
    ``test_mode`` (default: ``$TEST_MODE``) keeps everything in the process.
    Transient errors are retried for up to ``retry_deadline`` seconds, each
    call waiting at most ``call_timeout``. ``emulator_host`` (default:
    ``$CLOUD_TASKS_EMULATOR_HOST``) selects an emulator.
    """

    _api: Backend | None = None  # the client, once built

    def run(
        self,
        queue: str,
        path: str,
        *options: TaskOption,
        payload: object = None,
        method: str | None = None,
        delay: timedelta | float | None = None,
        schedule_time: datetime | None = None,
        headers: Mapping[str, str] | None = None,
        name: str | None = None,
        dispatch_deadline: timedelta | float | None = None,
        oidc_token: OidcToken | str | None = None,
        oauth_token: OAuthToken | str | None = None,
    ) -> TaskResult:
        """Enqueue one HTTP task for ``base_url`` + ``path`` on ``queue``.

        ``options`` apply in order, then the keyword arguments, each of which
        replaces what an option set (see :mod:`queuekeeper.client.options`).
        Raises InvalidTask before any call if the task breaks a limit.
        """
        keywords = {
            "payload": payload,
            "method": method,
            "delay": delay,
            "schedule_time": schedule_time,
            "headers": headers,
            "name": name,
            "dispatch_deadline": dispatch_deadline,
            "oidc_token": oidc_token,
            "oauth_token": oauth_token,
        }
        return self._enqueue(queue, path, resolve(options, keywords))

    @observe.instrumented  # metrics and spans, when the application enabled them
    def _enqueue(self, queue: str, path: str, settings: TaskSettings) -> TaskResult:
        request = self._task_request(queue, path, settings)
        return self._drive(self._send_one(request, path))

    def run_many(
        self,
        tasks: Iterable[TaskSpec | Mapping[str, Any]],
        *options: TaskOption,
        parallel: int = PARALLEL_CALLS,
    ) -> Outcomes:
        """Enqueue many tasks: BatchCreateTasks, 100 tasks a call per queue,
        up to ``parallel`` calls at once. ``options`` apply to every task,
        before its own. One outcome per task, in input order: its TaskResult
        or the error it met; a task that fails does not stop the others.
        """
        bulk = self._bulk(tasks, options, parallel)
        while flows := bulk.next_phase():
            bulk.settle(self._drive_all(flows, bulk.parallel))
        self._bulk_done(bulk)
        return bulk.outcomes()

    # --- lifecycle --------------------------------------------------------

    def _drive(self, flow: Flow[T]) -> T:
        return drive(flow, self._backend())

    def _drive_all(self, flows: Sequence[Flow[T]], parallel: int) -> list[T]:
        api = self._backend()
        if parallel == 1 or len(flows) == 1:
            return [drive(flow, api) for flow in flows]
        with ThreadPoolExecutor(min(parallel, len(flows))) as pool:
            return list(pool.map(lambda flow: drive(flow, api), flows))

    def _backend(self) -> Backend:
        with self._lock:
            if self._closed:
                raise errors.ClientClosedError(
                    "this TaskManager is closed", hint="make a new one"
                )
            if self._recorder is not None:
                return self._recorder
            if self._api is None:
                # Imported here: test mode and `validate` never load gRPC.
                from queuekeeper import tasksapi

                self._api = tasksapi.connect(self._emulator_host, self._call_timeout)
            return self._api

    def close(self) -> None:
        """Release the client; later calls raise ClientClosedError. The
        outbox of test mode stays readable."""
        with self._lock:
            api, self._api, self._closed = self._api, None, True
        if api is not None:
            api.close()

    def __enter__(self) -> TaskManager:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()
