"""The limits Cloud Tasks enforces on a task, checked before any call.

Each refusal is an :class:`~queuekeeper.errors.InvalidTask` whose ``limit``
names the rule. Messages never repeat a header value: it may be a secret.
The sources of every limit are in docs/cloud-tasks-facts.md (tasks, names).
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from queuekeeper import limits
from queuekeeper.client.options import Headers, TaskSettings
from queuekeeper.errors import InvalidArgumentError, InvalidTask
from queuekeeper.manifest import QueueKey

API_KEY_HEADER = "X-API-Key"
# Set by Cloud Tasks itself: a task's own value would be dropped or refused.
_RESERVED = frozenset({"host", "content-length"})
_RESERVED_PREFIXES = ("x-google-", "x-appengine-", "x-cloudtasks-")
# What the service puts in place of the caller's User-Agent (facts: tasks).
SERVICE_USER_AGENT = ("User-Agent", "Google-Cloud-Tasks")
_MAX_AHEAD = timedelta(seconds=limits.MAX_SCHEDULE_AHEAD_SECONDS)
_MIN_DEADLINE = timedelta(seconds=limits.MIN_DISPATCH_DEADLINE_SECONDS)
_MAX_DEADLINE = timedelta(seconds=limits.MAX_DISPATCH_DEADLINE_SECONDS)


def check_method(settings: TaskSettings) -> str:
    method = settings.method
    if method not in limits.HTTP_METHODS:
        raise InvalidTask(
            "method",
            f"{method!r} is not an HTTP method Cloud Tasks can send",
            hint="one of " + ", ".join(limits.HTTP_METHODS),
        )
    if settings.payload is not None and method not in limits.BODY_METHODS:
        raise InvalidTask(
            "body with " + method,
            "only POST, PUT and PATCH requests may carry a payload",
        )
    return method


def task_headers(
    settings: TaskSettings, auth_key: str | None, *, has_token: bool
) -> Headers:
    """The caller's headers, checked, plus Content-Type and X-API-Key."""
    seen: set[str] = set()
    for name, value in settings.headers:
        _check_header(name, value, seen)
        if name.lower() == "x-api-key" and auth_key is not None:
            raise InvalidTask(
                "headers", "X-API-Key is set from the TaskManager's auth_key"
            )
        if name.lower() == "authorization" and has_token:
            raise InvalidTask(
                "headers",
                "Authorization is set by Cloud Tasks from the OIDC or OAuth token",
            )
    headers = list(settings.headers)
    if settings.payload is not None and "content-type" not in seen:
        headers.append(("Content-Type", settings.payload.content_type))
    if auth_key is not None:
        headers.append((API_KEY_HEADER, auth_key))
    size = sum(len(k) + len(v) for k, v in (*headers, SERVICE_USER_AGENT))
    if size >= limits.MAX_HEADER_BYTES:
        raise InvalidTask(
            "header size",
            f"the headers total {size} bytes; Cloud Tasks takes less than 80 KB",
        )
    return tuple(headers)


def _check_header(name: str, value: str, seen: set[str]) -> None:
    lowered = name.lower()
    if not limits.HEADER_NAME.match(name):
        raise InvalidTask("header name", f"{name!r} is not a valid HTTP header name")
    if lowered in seen:
        raise InvalidTask("headers", f"{name!r} is given twice (names ignore case)")
    seen.add(lowered)
    if "\r" in value or "\n" in value:
        raise InvalidTask("header value", f"the value of {name!r} has a line break")
    if lowered in _RESERVED or lowered.startswith(_RESERVED_PREFIXES):
        raise InvalidTask(
            "reserved header",
            f"{name!r} is set by Cloud Tasks (Host, Content-Length, X-Google-*, "
            "X-AppEngine-* and X-CloudTasks-* are reserved)",
        )
    if lowered == "user-agent":
        # Refused rather than dropped: the service would silently send
        # "Google-Cloud-Tasks" instead, and the receiver would never know.
        raise InvalidTask(
            "reserved header",
            "User-Agent is replaced by Cloud Tasks with Google-Cloud-Tasks",
            hint="send the value in a header of your own, such as X-Client",
        )


def schedule_time(settings: TaskSettings, now: datetime) -> datetime | None:
    """When the task is due, in UTC, or None for now."""
    when = settings.schedule_time
    if settings.delay is not None:
        if settings.delay < timedelta(0):
            seconds = settings.delay.total_seconds()
            raise InvalidTask("delay", f"{seconds:g} s is negative")
        if not settings.delay:
            return None
        when = now + settings.delay
    if when is None:
        return None
    if when.tzinfo is None or when.utcoffset() is None:
        raise InvalidTask(
            "schedule_time",
            "is a naive datetime",
            hint="pass an aware one, e.g. datetime.now(timezone.utc) + timedelta(...)",
        )
    if when - now > _MAX_AHEAD:
        raise InvalidTask(
            "schedule at most 30 days ahead",
            f"the task would be due {when - now} from now",
        )
    return when.astimezone(timezone.utc)


def dispatch_deadline(settings: TaskSettings) -> timedelta | None:
    deadline = settings.dispatch_deadline
    if deadline is not None and not _MIN_DEADLINE <= deadline <= _MAX_DEADLINE:
        raise InvalidTask(
            "dispatch deadline 15 s to 30 min",
            f"{deadline.total_seconds():g} s is outside that range",
        )
    return deadline


def task_id(settings: TaskSettings) -> str | None:
    name = settings.name
    if name is None:
        return None
    if "/" in name:
        raise InvalidTask(
            "task id",
            "give the task id, not a full task name",
            hint="the id is the part after /tasks/",
        )
    if not limits.TASK_ID.fullmatch(name):
        raise InvalidTask(
            "task id",
            f"{name[:60]!r} must be 1 to 500 letters, digits, hyphens or underscores",
            hint="hash a longer key (e.g. hashlib.sha256(key).hexdigest())",
        )
    return name


def queue_key(queue: str, project: str, location: str, *, for_task: bool) -> QueueKey:
    """The key of ``queue``: an id in ``project`` and ``location``, or a full
    queue path. A bad name is refused before any call: for a task as
    InvalidTask, for a queue call as the InvalidArgumentError the service
    would send."""
    key: QueueKey | None = None
    if isinstance(queue, str) and "/" in queue:
        try:
            key = QueueKey.from_path(queue)
        except ValueError:
            key = None
    elif isinstance(queue, str):
        key = QueueKey(project, location, queue)
    if key is not None and limits.QUEUE_ID.fullmatch(key.name):
        return key
    message = (
        f"{queue!r} is neither a queue id (1 to 100 letters, digits or "
        "hyphens) nor a full queue path"
    )
    if for_task:
        raise InvalidTask("queue name", message)
    raise InvalidArgumentError("INVALID_ARGUMENT", message)
