"""Task semantics: what CreateTask accepts, how it fills a task in, and views.

Every function works on a raw `Task` protobuf. Limits come from facts: tasks;
messages are production's where one was recorded (see `errors.py`) and ours,
in the same style, where none was.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, urlsplit

import grpc

from . import queues
from .errors import URL_REQUIRED, URL_SCHEME, ApiError, invalid, queue_mismatch
from .messages import METHOD_NAMES, METHOD_POST, VIEW_BASIC, VIEW_FULL, TaskPb
from .names import split_task_name

# Sources disagree (facts: tasks): the proto says 100 KB, the quotas page
# 1 MB. Other emulators apply 100 KB to App Engine tasks and 1 MB to HTTP
# tasks; this emulator serves HTTP tasks only, so 1 MB (binary) it is.
MAX_TASK_BYTES = 1024 * 1024
MAX_URL_LENGTH = 2083
MAX_HEADER_BYTES = 80 * 1024
MAX_SCHEDULE_AHEAD = 30 * 24 * 3600
MIN_DEADLINE = 15
MAX_DEADLINE = 30 * 60
DEFAULT_DEADLINE = 10 * 60
USER_AGENT = "Google-Cloud-Tasks"

# Only these methods may carry a body (HttpRequest.body doc).
_BODY_METHODS = frozenset(
    code for code, name in METHOD_NAMES.items() if name in ("POST", "PUT", "PATCH")
)
_GOOGLE_ONLY = ("x-google-", "x-appengine-")
# Computed by Cloud Tasks at dispatch; a task's own values are dropped.
_COMPUTED = frozenset({"host", "content-length", "user-agent"})
# Characters that survive "Cloud Tasks will encode some characters" unchanged.
_URL_SAFE = ":/?#[]@!$&'()*+,;=%-._~"
_OUTPUT_ONLY = (
    "create_time",
    "dispatch_count",
    "response_count",
    "first_attempt",
    "last_attempt",
    "view",
)


def prepare_new(task: Any, parent: str, now: float) -> None:
    """Check a client-sent task for queue `parent` and fill its output fields."""
    for field in _OUTPUT_ONLY:
        task.ClearField(field)
    if task.name:
        queue, _ = split_task_name(task.name)
        if queue != parent:
            raise invalid(queue_mismatch(parent, queue))
    _check_http_request(task)
    _fill_schedule_time(task, now)
    _fill_dispatch_deadline(task)
    if task.HasField("retry_config"):
        queues.validate_retry_config(task.retry_config)
    # create_time is truncated to seconds (facts: tasks).
    task.create_time.FromSeconds(int(now))
    if task.ByteSize() > MAX_TASK_BYTES:
        raise invalid(
            f"Task size is {task.ByteSize()} bytes; the maximum for HTTP tasks "
            f"is {MAX_TASK_BYTES} bytes (1 MB)."
        )


def in_view(task: Any, view: int) -> Any:
    """A copy of a stored task as `view` shows it (see `show`)."""
    shown = TaskPb()
    shown.CopyFrom(task)
    show(shown, view)
    return shown


def show(task: Any, view: int) -> None:
    """Trim a task in place to `view`; BASIC is the default.

    BASIC omits the body, which "can be large or can contain sensitive data";
    the headers stay, as recorded against production for HTTP tasks.
    """
    full = view == VIEW_FULL
    if not full and task.HasField("http_request"):
        task.http_request.ClearField("body")
    task.view = VIEW_FULL if full else VIEW_BASIC


def _check_http_request(task: Any) -> None:
    kind = task.WhichOneof("message_type")
    if kind == "app_engine_http_request":
        raise ApiError(
            grpc.StatusCode.UNIMPLEMENTED,
            "App Engine tasks are not supported by the queuekeeper emulator; "
            "use an HTTP task (http_request).",
        )
    if kind is None:
        raise invalid("Task.httpRequest is required.")
    request = task.http_request
    _check_url(request.url)
    if request.http_method == 0:
        request.http_method = METHOD_POST
    if request.body and request.http_method not in _BODY_METHODS:
        method = METHOD_NAMES.get(request.http_method, str(request.http_method))
        raise invalid(
            f"HttpRequest.body is not allowed with HTTP method {method}: "
            "only POST, PUT and PATCH requests may carry a body."
        )
    _check_headers(request.headers)
    _check_token(request)


def _check_url(url: str) -> None:
    if not url:
        raise invalid(URL_REQUIRED)
    if not url.lower().startswith(("http://", "https://")):
        raise invalid(URL_SCHEME)
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - reading it validates the port
    except ValueError as error:
        raise invalid(f"HttpRequest.url is not a valid URL: {error}.") from error
    if not parts.hostname:
        raise invalid("HttpRequest.url must name a host.")
    if len(quote(url, safe=_URL_SAFE)) > MAX_URL_LENGTH:
        raise invalid(
            f"HttpRequest.url must be at most {MAX_URL_LENGTH} characters long "
            "after encoding."
        )


def _check_headers(headers: Any) -> None:
    for key in list(headers):
        if not key or any(c.isspace() or c == ":" for c in key):
            raise invalid(f'HttpRequest.headers has an invalid header name "{key}".')
        if any(c in headers[key] for c in "\r\n"):
            raise invalid(f'HttpRequest.headers["{key}"] must not contain newlines.')
        lowered = key.lower()
        if lowered.startswith(_GOOGLE_ONLY):
            raise invalid(
                f'HttpRequest.headers must not set "{key}": X-Google-* and '
                "X-AppEngine-* headers are reserved for Google."
            )
        if lowered in _COMPUTED:
            del headers[key]
    # Recorded against production: a stored HTTP task shows this User-Agent.
    headers["User-Agent"] = USER_AGENT
    size = sum(len(key) + len(value) for key, value in headers.items())
    if size >= MAX_HEADER_BYTES:
        raise invalid("HttpRequest.headers must total less than 80 KB.")


def _check_token(request: Any) -> None:
    kind = request.WhichOneof("authorization_header")
    if kind is None:
        return
    camel = "oidcToken" if kind == "oidc_token" else "oauthToken"
    if not getattr(request, kind).service_account_email:
        raise invalid(f"HttpRequest.{camel}.serviceAccountEmail is required.")


def _fill_schedule_time(task: Any, now: float) -> None:
    # Unset or past means now; truncated to microseconds (facts: tasks).
    now_us = int(now * 1_000_000)
    wanted = (
        task.schedule_time.ToMicroseconds() if task.HasField("schedule_time") else 0
    )
    if wanted > now_us + MAX_SCHEDULE_AHEAD * 1_000_000:
        raise invalid("Task.scheduleTime must be at most 30 days in the future.")
    task.schedule_time.FromMicroseconds(max(wanted, now_us))


def _fill_dispatch_deadline(task: Any) -> None:
    if not task.HasField("dispatch_deadline"):
        task.dispatch_deadline.FromSeconds(DEFAULT_DEADLINE)
        return
    # Truncated to milliseconds (facts: tasks).
    millis = task.dispatch_deadline.ToMilliseconds()
    if not MIN_DEADLINE * 1000 <= millis <= MAX_DEADLINE * 1000:
        raise invalid(
            "Task.dispatchDeadline must be between 15 seconds and 30 minutes "
            "for HTTP tasks."
        )
    task.dispatch_deadline.FromMilliseconds(millis)
