"""AsyncTaskManager: the TaskManager for asyncio applications.

The same arguments, checks, retries, auto-create, test mode and results as
:class:`~queuekeeper.client.manager.TaskManager` (all of it shared through
:mod:`queuekeeper.client.core` and the flows of
:mod:`queuekeeper.client.flow`); every call is awaited instead. The client,
``CloudTasksAsyncClient`` on gRPC's asyncio transport, is built on the first
call in the running event loop and belongs to that loop.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeVar

from queuekeeper import errors
from queuekeeper.client.bulk import Outcomes, TaskSpec
from queuekeeper.client.core import PARALLEL_CALLS, ManagerCore
from queuekeeper.client.flow import Flow, drive_async
from queuekeeper.client.options import OAuthToken, OidcToken, TaskOption, resolve
from queuekeeper.client.queueadmin import AsyncQueueAdministration
from queuekeeper.client.request import TaskResult
from queuekeeper.client.testmode import Recorder

if TYPE_CHECKING:  # not at run time: test mode never loads gRPC
    from queuekeeper.tasksapi import AsyncTasksApi

T = TypeVar("T")


class AsyncTaskManager(ManagerCore, AsyncQueueAdministration):
    """Enqueue HTTP tasks and manage queues from asyncio code.

    Takes what TaskManager takes (also through ``from_manifest`` and
    ``from_config``); ``run``, ``run_many`` and the queue calls are
    coroutines. Use it in one event loop, and close it there
    (``async with AsyncTaskManager(...) as tm:`` or ``await tm.close()``).
    """

    _api: AsyncTasksApi | None = None  # the client, once built
    _connecting: asyncio.Lock | None = None

    async def run(
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
        """Enqueue one HTTP task, as ``TaskManager.run``."""
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
        request = self._task_request(queue, path, resolve(options, keywords))
        return await self._drive(self._send_one(request, path))

    async def run_many(
        self,
        tasks: Iterable[TaskSpec | Mapping[str, Any]],
        *options: TaskOption,
        parallel: int = PARALLEL_CALLS,
    ) -> Outcomes:
        """Enqueue many tasks, as ``TaskManager.run_many``."""
        bulk = self._bulk(tasks, options, parallel)
        while flows := bulk.next_phase():
            bulk.settle(await self._drive_all(flows, bulk.parallel))
        self._bulk_done(bulk)
        return bulk.outcomes()

    # --- lifecycle --------------------------------------------------------

    async def _drive(self, flow: Flow[T]) -> T:
        return await drive_async(flow, await self._backend())

    async def _drive_all(self, flows: Sequence[Flow[T]], parallel: int) -> list[T]:
        api = await self._backend()
        if parallel == 1:
            return [await drive_async(flow, api) for flow in flows]
        limit = asyncio.Semaphore(parallel)

        async def one(flow: Flow[T]) -> T:
            async with limit:
                return await drive_async(flow, api)

        return list(await asyncio.gather(*(one(flow) for flow in flows)))

    async def _backend(self) -> AsyncTasksApi | Recorder:
        self._check_open()
        if self._recorder is not None:
            return self._recorder
        if self._connecting is None:
            self._connecting = asyncio.Lock()
        async with self._connecting:  # the first calls, awaited together
            api = self._api or await self._connect()
            self._api = api
        return api

    async def _connect(self) -> AsyncTasksApi:
        from queuekeeper import tasksapi  # not in test mode: it loads gRPC

        api = await tasksapi.connect_async(self._emulator_host, self._call_timeout)
        if self._closed:  # while connecting
            await api.close()
            self._check_open()
        return api

    def _check_open(self) -> None:
        if self._closed:
            raise errors.ClientClosedError(
                "this AsyncTaskManager is closed", hint="make a new one"
            )

    async def close(self) -> None:
        """Release the client; later calls raise ClientClosedError. The
        outbox of test mode stays readable."""
        api, self._api, self._closed = self._api, None, True
        if api is not None:
            await api.close()

    async def __aenter__(self) -> AsyncTaskManager:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()
