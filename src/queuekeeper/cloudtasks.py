"""The adapter over google-cloud-tasks.

Building a client for Google Cloud or an emulator, converting between our
flat settings and the API's ``Queue`` message, and translating the vendor's
exceptions into :mod:`queuekeeper.errors` with the cause chained. The CLI's
queue administration (``CloudTasks``) lives here; the runtime client's calls
live in the sibling adapter :mod:`queuekeeper.tasksapi`, which reuses these.
Nothing else imports the official client.
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Callable, Iterator, Mapping
from typing import Any, TypeVar

import grpc
from google.api_core import exceptions as gexc
from google.api_core import retry as gretry
from google.auth import exceptions as auth_exc
from google.cloud import tasks_v2
from google.cloud.tasks_v2.services.cloud_tasks.transports import (
    CloudTasksGrpcTransport,
)
from google.protobuf import field_mask_pb2

from queuekeeper import errors
from queuekeeper.fields import (
    ENFORCE_MODE,
    FIELDS,
    Kind,
    Pairs,
    Value,
    token_pairs,
    uri_override_pairs,
)
from queuekeeper.manifest import QueueKey
from queuekeeper.plan import LiveQueue

log = logging.getLogger(__name__)

EMULATOR_HOST_ENV = "CLOUD_TASKS_EMULATOR_HOST"
LIST_PAGE_SIZE = 9800  # the API's largest ListQueues page
CALL_TIMEOUT = 30.0
CONNECT_TIMEOUT = 5.0

_QueuePb: Any = type(tasks_v2.Queue.pb(tasks_v2.Queue()))
_TRANSIENT = (gexc.ServiceUnavailable, gexc.DeadlineExceeded, gexc.ResourceExhausted)
_ERRORS: Mapping[type[Exception], type[errors.ApiError]] = {
    gexc.NotFound: errors.NotFoundError,
    gexc.AlreadyExists: errors.AlreadyExistsError,
    gexc.FailedPrecondition: errors.FailedPreconditionError,
    gexc.PermissionDenied: errors.PermissionDeniedError,
    gexc.InvalidArgument: errors.InvalidArgumentError,
    gexc.ServiceUnavailable: errors.TransientError,
    gexc.DeadlineExceeded: errors.TransientError,
    gexc.ResourceExhausted: errors.TransientError,
}

T = TypeVar("T")


def default_retry(deadline: float = 60.0) -> gretry.Retry:
    """Exponential backoff on the errors that say "try again later"."""
    return gretry.Retry(
        predicate=gretry.if_exception_type(*_TRANSIENT),
        initial=0.2,
        maximum=5.0,
        multiplier=2.0,
        timeout=deadline,
    )


def make_client(emulator_host: str | None = None) -> tasks_v2.CloudTasksClient:
    """A client for the emulator at ``host:port``, else for Google Cloud.

    Without an emulator the client uses application default credentials.
    """
    host = emulator_host or os.environ.get(EMULATOR_HOST_ENV)
    if host:
        check_reachable(host)
        channel = grpc.insecure_channel(host)
        return tasks_v2.CloudTasksClient(
            transport=CloudTasksGrpcTransport(channel=channel)
        )
    try:
        return tasks_v2.CloudTasksClient()
    except auth_exc.DefaultCredentialsError as exc:
        raise no_credentials(exc) from exc


def no_credentials(exc: Exception) -> errors.QueuekeeperError:
    return errors.QueuekeeperError(
        f"no usable Google Cloud credentials: {exc}",
        hint="run `gcloud auth application-default login`, or use --emulator "
        f"or set {EMULATOR_HOST_ENV}",
    )


def check_reachable(host: str) -> None:
    """Refuse an emulator address nothing listens on, before any call.

    Without this an emulator that is not running looks like an outage, and
    every call would be retried as UNAVAILABLE until the retry deadline. A
    plain TCP connect is enough and, unlike gRPC's channel-ready future,
    leaves no polling thread for the channel's close to wait on.
    """
    name, _, port = host.rpartition(":")
    hint = (
        "start one with `queuekeeper emulator`, check "
        f"{EMULATOR_HOST_ENV} (host:port), or use --emulator"
    )
    scheme = "://" in host
    if scheme:
        hint = "give host:port without a scheme, e.g. 127.0.0.1:8123"
    if scheme or not name or not port.isdigit() or not 0 < int(port) < 65536:
        raise errors.QueuekeeperError(
            f"the emulator address {host!r} is not of the form host:port "
            "(port 1 to 65535)",
            hint=hint,
        )
    try:
        with socket.create_connection(
            (name.strip("[]"), int(port)), CONNECT_TIMEOUT
        ) as probe:
            answer = _first_bytes(probe)
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise errors.QueuekeeperError(
            f"cannot reach a Cloud Tasks emulator at {host}: {reason}", hint=hint
        ) from exc
    if answer and answer[3:4] != _SETTINGS_FRAME:
        raise errors.QueuekeeperError(
            f"{host} does not speak gRPC (HTTP/2): is it the emulator's REST port?",
            hint=f"{EMULATOR_HOST_ENV} takes the gRPC address the emulator prints",
        )


# The HTTP/2 connection preface and an empty SETTINGS frame: a gRPC server
# answers with a SETTINGS frame of its own (type 4, the frame's fourth byte);
# an HTTP/1 server answers with text.
_SETTINGS_FRAME = b"\x04"
_HTTP2_PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + bytes(
    [0, 0, 0, 4, 0, 0, 0, 0, 0]
)


def _first_bytes(probe: socket.socket) -> bytes:
    probe.settimeout(1.0)
    try:
        probe.sendall(_HTTP2_PREFACE)
        return probe.recv(16)
    except OSError:  # no answer in time: let the real call find out
        return b""


def translate(exc: Exception) -> errors.QueuekeeperError:
    """Our error for a vendor exception (the caller chains the cause)."""
    if isinstance(exc, gexc.RetryError) and exc.cause is not None:
        return translate(exc.cause)
    if isinstance(exc, gexc.GoogleAPICallError):
        kind = next((v for k, v in _ERRORS.items() if isinstance(exc, k)), None)
        status = exc.grpc_status_code  # None over REST: fall back to HTTP's name
        code = status.name if status is not None else getattr(exc.code, "name", "")
        return (kind or errors.ApiError)(str(code), exc.message or str(exc))
    if isinstance(exc, auth_exc.GoogleAuthError):
        return errors.QueuekeeperError(f"authentication failed: {exc}")
    return errors.ApiError("UNKNOWN", str(exc))


class CloudTasks:
    """Queue administration on one client, with retries and our errors."""

    def __init__(
        self, client: tasks_v2.CloudTasksClient, *, retry_deadline: float = 60.0
    ) -> None:
        self.client = client
        self.retry = default_retry(retry_deadline)

    def _call(self, what: str, call: Callable[..., T], **kwargs: Any) -> T:
        request = kwargs.get("request") or {}
        queue = kwargs.get("queue")
        subject = (
            kwargs.get("name")
            or (queue.name if queue is not None else None)
            or request.get("parent")
            or kwargs.get("parent")
        )
        log.info("%s %s", what, subject)
        try:
            return call(**kwargs, retry=self.retry, timeout=CALL_TIMEOUT)
        except (gexc.GoogleAPIError, auth_exc.GoogleAuthError) as exc:
            raise translate(exc) from exc

    def list_queues(self, project: str, location: str) -> list[LiveQueue]:
        """Every queue in one location: one paged ListQueues, largest pages."""
        parent = f"projects/{project}/locations/{location}"
        request = {"parent": parent, "page_size": LIST_PAGE_SIZE}
        pager = self._call("ListQueues", self.client.list_queues, request=request)
        try:
            return [to_live(tasks_v2.Queue.pb(q)) for q in pager]
        except gexc.GoogleAPIError as exc:  # later pages are fetched lazily
            raise translate(exc) from exc

    def get_queue(self, key: QueueKey) -> LiveQueue | None:
        try:
            queue = self._call("GetQueue", self.client.get_queue, name=key.path)
        except errors.NotFoundError:
            return None
        return to_live(tasks_v2.Queue.pb(queue))

    def create_queue(self, key: QueueKey, settings: Mapping[str, Value]) -> None:
        queue = tasks_v2.Queue.wrap(to_queue_pb(key, settings))
        self._call(
            "CreateQueue", self.client.create_queue, parent=key.parent, queue=queue
        )

    def update_queue(self, key: QueueKey, settings: Mapping[str, Value]) -> None:
        """Send exactly ``settings``: their paths become the update mask."""
        if not settings:
            return  # an empty mask would mean "every field" to the API
        queue = tasks_v2.Queue.wrap(to_queue_pb(key, settings))
        mask = field_mask_pb2.FieldMask(paths=sorted(settings))
        self._call(
            "UpdateQueue", self.client.update_queue, queue=queue, update_mask=mask
        )

    def pause_queue(self, key: QueueKey) -> None:
        self._call("PauseQueue", self.client.pause_queue, name=key.path)

    def resume_queue(self, key: QueueKey) -> None:
        self._call("ResumeQueue", self.client.resume_queue, name=key.path)

    def close(self) -> None:
        self.client.transport.close()  # type: ignore[no-untyped-call]


def to_queue_pb(key: QueueKey, settings: Mapping[str, Value]) -> Any:
    """A raw ``Queue`` message carrying ``settings``."""
    queue = _QueuePb(name=key.path)
    for path, value in settings.items():
        _SETTERS[FIELDS[path].kind](queue, path, value)
    return queue


def _walk(message: Any, path: str) -> tuple[Any, str]:
    *parents, leaf = path.split(".")
    for part in parents:
        message = getattr(message, part)
    return message, leaf


def _set_scalar(queue: Any, path: str, value: Value) -> None:
    message, leaf = _walk(queue, path)
    setattr(message, leaf, value)


def _set_duration(queue: Any, path: str, value: Value) -> None:
    message, leaf = _walk(queue, path)
    assert isinstance(value, int)
    getattr(message, leaf).FromNanoseconds(value)


def _set_method(queue: Any, path: str, value: Value) -> None:
    queue.http_target.http_method = _enum(tasks_v2.HttpMethod, str(value))


def _set_pairs(queue: Any, path: str, value: Value) -> None:
    assert isinstance(value, tuple)
    target = queue.http_target
    items = dict(value)
    if path == "http_target.header_overrides":
        target.SetInParent()
        for name, text in value:
            item = target.header_overrides.add()
            item.header.key = name
            item.header.value = text
    elif path == "http_target.uri_override":
        _set_uri_override(target.uri_override, items)
    else:
        token = getattr(target, path.rsplit(".", 1)[1])
        for name, text in value:
            setattr(token, name, text)


def _set_uri_override(uri: Any, items: Mapping[str, str]) -> None:
    # Only the parts present are set: every part has presence on the wire, and
    # a present empty path or zero port clears that part of each task's URL.
    uri.SetInParent()
    if "scheme" in items:
        uri.scheme = _enum(tasks_v2.UriOverride.Scheme, items["scheme"])
    if "host" in items:
        uri.host = items["host"]
    if "port" in items:
        uri.port = int(items["port"])
    if "path" in items:
        uri.path_override.path = items["path"]
    if "query_params" in items:
        uri.query_override.query_params = items["query_params"]
    if items[ENFORCE_MODE] != "ALWAYS":  # unspecified is ALWAYS
        uri.uri_override_enforce_mode = _enum(
            tasks_v2.UriOverride.UriOverrideEnforceMode, items[ENFORCE_MODE]
        )


def _enum(enum_type: Any, name: str) -> int:
    """The wire number of an enum value named ``name``."""
    return int(getattr(enum_type, name))


_SETTERS: Mapping[Kind, Callable[[Any, str, Value], None]] = {
    Kind.RATE: _set_scalar,
    Kind.COUNT: _set_scalar,
    Kind.RATIO: _set_scalar,
    Kind.DURATION: _set_duration,
    Kind.METHOD: _set_method,
    Kind.PAIRS: _set_pairs,
}


def to_live(queue: Any) -> LiveQueue:
    """Our view of a raw ``Queue`` message: every managed field it has."""
    rate = queue.rate_limits
    retry = queue.retry_config
    settings: dict[str, Value] = {
        "rate_limits.max_dispatches_per_second": float(rate.max_dispatches_per_second),
        "rate_limits.max_concurrent_dispatches": int(rate.max_concurrent_dispatches),
        "retry_config.max_attempts": int(retry.max_attempts),
        "retry_config.max_doublings": int(retry.max_doublings),
        "stackdriver_logging_config.sampling_ratio": float(
            queue.stackdriver_logging_config.sampling_ratio
        ),
        "http_target.header_overrides": tuple(
            sorted(
                (h.header.key, h.header.value)
                for h in queue.http_target.header_overrides
            )
        ),
    }
    # An unset duration reads as zero: for max_retry_duration that is the
    # API's own meaning ("unlimited"), and the backoffs are always set.
    for name in ("min_backoff", "max_backoff", "max_retry_duration"):
        settings[f"retry_config.{name}"] = getattr(retry, name).ToNanoseconds()
    settings.update(_http_target(queue.http_target))
    return LiveQueue(
        key=QueueKey.from_path(queue.name),
        settings=settings,
        state=_QueuePb.State.Name(queue.state),
        max_burst_size=int(rate.max_burst_size),
    )


def _http_target(target: Any) -> Iterator[tuple[str, Pairs | str]]:
    if target.http_method:
        yield "http_target.http_method", tasks_v2.HttpMethod(target.http_method).name
    if target.HasField("uri_override"):
        yield (
            "http_target.uri_override",
            _uri_override(target.uri_override),
        )
    for path in ("http_target.oauth_token", "http_target.oidc_token"):
        leaf = path.rsplit(".", 1)[1]
        if target.HasField(leaf):
            token = getattr(target, leaf)
            detail = token.scope if leaf == "oauth_token" else token.audience
            yield path, token_pairs(path, token.service_account_email, detail)


def _uri_override(uri: Any) -> Pairs:
    parts: dict[str, str | int | None] = {
        "scheme": tasks_v2.UriOverride.Scheme(uri.scheme).name
        if uri.HasField("scheme")
        else None,
        "host": uri.host if uri.HasField("host") else None,
        "port": uri.port if uri.HasField("port") else None,
        "path": uri.path_override.path if uri.HasField("path_override") else None,
        "query_params": uri.query_override.query_params
        if uri.HasField("query_override")
        else None,
    }
    mode = uri.uri_override_enforce_mode
    Mode = tasks_v2.UriOverride.UriOverrideEnforceMode
    return uri_override_pairs(parts, Mode(mode).name if mode else "")
