"""The TaskManager: HTTP tasks onto Cloud Tasks queues, and the queues.

One google-cloud-tasks client per TaskManager, built on first use and shared
by every thread; ``close()`` releases it. In test mode no client is ever
built: a :class:`~queuekeeper.client.testmode.Recorder` takes its place.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timedelta, timezone
from types import TracebackType
from typing import Any, TypeVar

from queuekeeper import errors
from queuekeeper.client import calls
from queuekeeper.client.backend import Backend
from queuekeeper.client.checks import queue_key
from queuekeeper.client.config import (
    check_auth_key,
    check_location,
    check_project,
    load_config,
    manifest_scope,
    test_mode_from,
)
from queuekeeper.client.options import (
    OAuthToken,
    OidcToken,
    TaskOption,
    TaskSettings,
    resolve,
)
from queuekeeper.client.queueadmin import QueueAdministration
from queuekeeper.client.queues import QueueOptions
from queuekeeper.client.request import TaskResult, build_request
from queuekeeper.client.retry import RetryPolicy
from queuekeeper.client.testmode import Outbox, Recorder
from queuekeeper.client.urls import BaseUrl
from queuekeeper.fields import Value
from queuekeeper.manifest import QueueKey, QueueSpec, load_manifest

# The package's name, not this module's: applications configure one logger.
log = logging.getLogger("queuekeeper.client")

PathLike = str | os.PathLike[str]
T = TypeVar("T")


class TaskManager(QueueAdministration):
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
        self._lock = threading.Lock()
        self._closed = False
        self._recorder = Recorder() if self.test_mode else None
        self._api: Backend | None = self._recorder

    @classmethod
    def from_manifest(
        cls,
        paths: PathLike | Iterable[PathLike],
        *,
        project: str | None = None,
        location: str | None = None,
        **options: Any,
    ) -> TaskManager:
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
    def from_config(cls, path: PathLike, **overrides: Any) -> TaskManager:
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

    # TODO: run_many (BatchCreateTasks, 100 tasks a call) belongs beside run
    # and shares _enqueue's checks; it comes with the bulk issue.

    def _enqueue(self, queue: str, path: str, settings: TaskSettings) -> TaskResult:
        started = time.perf_counter()
        key = self._key(queue, for_task=True)
        now = datetime.now(timezone.utc)
        request = build_request(
            self._base_url, self._auth_key, key, path, settings, now
        )
        make_queue = self._auto_create if self.auto_create else None
        created, attempts = calls.send_task(
            self._backend(), self._retry, request, make_queue
        )
        log.info(
            "enqueued task %s on %s: %s %s (%.1f ms%s)",
            created.name.rsplit("/", 1)[-1],
            key.name,
            request.method,
            path.split("?", 1)[0],  # a query may hold a secret
            (time.perf_counter() - started) * 1000,
            ", test mode: not sent" if self.test_mode else "",
        )
        return TaskResult(
            name=created.name,
            queue=key.name,
            url=request.url,
            method=request.method,
            schedule_time=created.schedule_time,
            attempts=attempts,
            test_mode=self.test_mode,
        )

    def _auto_create(self, missing: errors.QueueNotFound) -> None:
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
        calls.auto_create(self._backend(), self._retry, key, settings, declared)

    def _settings_for(self, key: QueueKey) -> Mapping[str, Value]:
        declared = None if self._declared is None else self._declared.get(key)
        if declared is not None:
            return declared.settings
        return self.queue_options.settings() if self.queue_options else {}

    # --- lifecycle --------------------------------------------------------

    def _key(self, queue: str, *, for_task: bool = False) -> QueueKey:
        return queue_key(queue, self.project, self.location, for_task=for_task)

    def _backend(self) -> Backend:
        with self._lock:
            if self._closed:
                raise errors.ClientClosedError(
                    "this TaskManager is closed", hint="make a new one"
                )
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

    def __repr__(self) -> str:
        key = "<set>" if self._auth_key is not None else None
        return (
            f"TaskManager(project={self.project!r}, location={self.location!r}, "
            f"base_url={self.base_url!r}, auth_key={key}, test_mode={self.test_mode})"
        )


def _checked(check: Callable[[Any], T], value: object) -> T:
    try:
        return check(value)
    except ValueError as exc:
        raise errors.ConfigError(str(exc)) from exc
