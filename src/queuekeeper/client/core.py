"""What TaskManager and AsyncTaskManager share: their settings and checks,
the requests they build, the results and log lines they make, and
auto-create's decisions. No I/O: each manager runs the flows it gets from
here on its own client (:mod:`queuekeeper.client.flow`).
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timezone
from typing import Any, TypeVar

from queuekeeper import errors
from queuekeeper.client import calls
from queuekeeper.client.backend import CreatedTask
from queuekeeper.client.bulk import TaskSpec, prepare
from queuekeeper.client.bulksend import BulkSend
from queuekeeper.client.checks import queue_key
from queuekeeper.client.config import (
    check_auth_key,
    check_location,
    check_project,
    load_config,
    manifest_scope,
    test_mode_from,
)
from queuekeeper.client.flow import Flow
from queuekeeper.client.options import TaskOption, TaskSettings
from queuekeeper.client.queues import QueueOptions
from queuekeeper.client.request import TaskRequest, TaskResult, build_request
from queuekeeper.client.retry import RetryPolicy
from queuekeeper.client.testmode import Outbox, Recorder
from queuekeeper.client.urls import BaseUrl
from queuekeeper.fields import Value
from queuekeeper.manifest import QueueKey, QueueSpec, load_manifest

# The package's name, not this module's: applications configure one logger.
log = logging.getLogger("queuekeeper.client")

PathLike = str | os.PathLike[str]
T = TypeVar("T")
M = TypeVar("M", bound="ManagerCore")
# Calls in flight at once for run_many, by default.
PARALLEL_CALLS = 4


class ManagerCore:
    """The settings both TaskManagers take; see TaskManager for them."""

    def __init__(
        self,
        *,
        project: str,
        location: str,
        base_url: str,
        auth_key: str | None = None,
        queue_options: QueueOptions | None = None,
        declarations: Iterable[QueueSpec] | None = None,
        auto_create: bool = True,
        test_mode: bool | None = None,
        emulator_host: str | None = None,
        retry_deadline: float = 30.0,
        call_timeout: float = 10.0,
    ) -> None:
        self.project: str = _checked(check_project, project)
        self.location: str = _checked(check_location, location)
        self._base_url: BaseUrl = _checked(BaseUrl.parse, base_url)
        self._auth_key = _checked(check_auth_key, auth_key)
        if queue_options is not None and not isinstance(queue_options, QueueOptions):
            raise errors.ConfigError("queue_options must be a QueueOptions")
        self.queue_options = queue_options
        self._declared = (
            None if declarations is None else {d.key: d for d in declarations}
        )
        self.auto_create = auto_create
        self.test_mode = test_mode_from(os.environ) if test_mode is None else test_mode
        if not (call_timeout > 0 and retry_deadline >= 0):
            raise errors.ConfigError(
                "call_timeout must be more than 0 and retry_deadline at least 0"
            )
        self._emulator_host = emulator_host
        self._retry = RetryPolicy(deadline=retry_deadline)
        self._call_timeout = call_timeout
        self._recorder = Recorder() if self.test_mode else None
        self._lock = threading.Lock()
        self._closed = False
        # Queues a run_many has delivered to (their first chunk need not go
        # alone), and whether the service lacks BatchCreateTasks.
        self._seen_queues: set[str] = set()
        self._batch_unsupported = False

    @classmethod
    def from_manifest(
        cls: type[M],
        paths: PathLike | Iterable[PathLike],
        *,
        project: str | None = None,
        location: str | None = None,
        **options: Any,
    ) -> M:
        """A TaskManager that auto-creates only the queues the manifest
        declares, as declared. ``project`` and ``location`` default to the
        manifest's, when it declares queues in exactly one of each."""
        files = [paths] if isinstance(paths, str | os.PathLike) else list(paths)
        manifest = load_manifest(os.fspath(f) for f in files)
        project, location = manifest_scope(manifest, project, location)
        return cls(
            project=project,
            location=location,
            declarations=manifest.queues,
            **options,
        )

    @classmethod
    def from_config(cls: type[M], path: PathLike, **overrides: Any) -> M:
        """A TaskManager from a file's ``task_manager:`` block; keyword
        arguments (``test_mode=``, ``emulator_host=``, ...) win over it."""
        return cls(**{**load_config(path), **overrides})

    @property
    def base_url(self) -> str:
        return str(self._base_url)

    @property
    def outbox(self) -> Outbox:
        """Test mode's record of tasks and queue operations."""
        if self._recorder is None:
            raise RuntimeError("the outbox exists only in test mode")
        return self._recorder.outbox

    # --- tasks ------------------------------------------------------------

    def _task_request(
        self, queue: str, path: str, settings: TaskSettings
    ) -> TaskRequest:
        key = self._key(queue, for_task=True)
        now = datetime.now(timezone.utc)
        return build_request(self._base_url, self._auth_key, key, path, settings, now)

    def _send_one(self, request: TaskRequest, path: str) -> Flow[TaskResult]:
        """Send one task, its queue auto-created if need be; log it."""
        started = time.perf_counter()
        sent = yield from calls.send_task(self._retry, request, self._queue_maker())
        created, attempts = sent
        log.info(
            "enqueued task %s on %s: %s %s (%.1f ms%s)",
            created.name.rsplit("/", 1)[-1],
            request.queue.name,
            request.method,
            path.split("?", 1)[0],  # a query may hold a secret
            (time.perf_counter() - started) * 1000,
            ", test mode: not sent" if self.test_mode else "",
        )
        return self._result(request, created, attempts)

    def _result(
        self, request: TaskRequest, created: CreatedTask, attempts: int
    ) -> TaskResult:
        return TaskResult(
            name=created.name,
            queue=request.queue.name,
            url=request.url,
            method=request.method,
            schedule_time=created.schedule_time,
            attempts=attempts,
            test_mode=self.test_mode,
        )

    def _bulk(
        self,
        tasks: Iterable[TaskSpec | Mapping[str, Any]],
        options: tuple[TaskOption, ...],
        parallel: int,
    ) -> BulkSend:
        """A run_many's work: every task checked, none sent yet."""
        if not (isinstance(parallel, int) and parallel >= 1):
            raise ValueError("parallel must be a whole number of at least 1")
        return BulkSend(
            prepare(tasks, options, self._task_request),
            policy=self._retry,
            make_queue=self._queue_maker(),
            send_one=self._send_one,
            result=self._result,
            seen=self._seen_queues,
            # Test mode sends in order, so the outbox reads like the input.
            parallel=1 if self.test_mode else parallel,
            batch=not (self.test_mode or self._batch_unsupported),
        )

    def _bulk_done(self, bulk: BulkSend) -> None:
        if bulk.unimplemented:
            log.info("BatchCreateTasks is not implemented here: using CreateTask")
            self._batch_unsupported = True

    # --- auto-create ------------------------------------------------------

    def _queue_maker(self) -> calls.QueueMaker | None:
        return self._auto_create if self.auto_create else None

    def _auto_create(self, missing: errors.QueueNotFound) -> Flow[None]:
        key = QueueKey.from_path(missing.queue)
        declared = None if self._declared is None else self._declared.get(key)
        if self._declared is not None and declared is None:
            files = sorted({spec.file for spec in self._declared.values()})
            raise errors.QueueNotFound(
                key.path,
                missing.api_message,
                hint=f"auto-create makes only the queues declared in "
                f"{', '.join(files) or 'the manifest'}; declare {key.name} there",
            ) from missing
        settings = self._settings_for(key)
        return calls.auto_create(self._retry, key, settings, declared)

    def _settings_for(self, key: QueueKey) -> Mapping[str, Value]:
        declared = None if self._declared is None else self._declared.get(key)
        if declared is not None:
            return declared.settings
        return self.queue_options.settings() if self.queue_options else {}

    def _key(self, queue: str, *, for_task: bool = False) -> QueueKey:
        return queue_key(queue, self.project, self.location, for_task=for_task)

    def __repr__(self) -> str:
        key = "<set>" if self._auth_key is not None else None
        return (
            f"{type(self).__name__}(project={self.project!r}, "
            f"location={self.location!r}, base_url={self.base_url!r}, "
            f"auth_key={key}, test_mode={self.test_mode})"
        )


def _checked(check: Callable[[Any], T], value: object) -> T:
    try:
        return check(value)
    except ValueError as exc:
        raise errors.ConfigError(str(exc)) from exc
