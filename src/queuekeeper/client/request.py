"""A task as it will be sent (:class:`TaskRequest`) and what ``run`` returns.

``build_request`` applies every check of :mod:`queuekeeper.client.checks`, so
a request that exists is one the service should take; the adapter and the
test-mode recorder only ever see such requests.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from queuekeeper import limits
from queuekeeper.client import checks
from queuekeeper.client.options import Headers, OAuthToken, OidcToken, TaskSettings
from queuekeeper.client.urls import BaseUrl, without_query
from queuekeeper.errors import InvalidTask
from queuekeeper.manifest import QueueKey

Token = OidcToken | OAuthToken
# Fields the service fills in before it measures a task (create time, schedule
# time, deadline, its User-Agent header): room left for them under the limit.
_SERVICE_FIELDS_BYTES = 128
# An unnamed task gets a generated id of about 19 digits (production's are
# long digit strings; the emulator makes 19): counted as if it were named.
_GENERATED_ID = "0" * 19


@dataclass(frozen=True)
class TaskRequest:
    """A checked task for one queue; ``headers`` include the auth key."""

    queue: QueueKey
    url: str
    method: str
    headers: Headers = field(repr=False)
    body: bytes = field(repr=False)
    task_id: str | None
    schedule_time: datetime | None
    dispatch_deadline: timedelta | None
    token: Token | None

    @property
    def task_name(self) -> str | None:
        if self.task_id is None:
            return None
        return f"{self.queue.path}/tasks/{self.task_id}"


@dataclass(frozen=True)
class TaskResult:
    """A task Cloud Tasks accepted (or test mode recorded)."""

    name: str  # the full task name
    queue: str  # the queue's id
    url: str
    method: str
    schedule_time: datetime | None  # as the service recorded it; None: now
    attempts: int = 1  # CreateTask calls made, retries included
    test_mode: bool = False

    @property
    def task_id(self) -> str:
        return self.name.rsplit("/", 1)[-1]


def build_request(
    base_url: BaseUrl,
    auth_key: str | None,
    key: QueueKey,
    path: str,
    settings: TaskSettings,
    now: datetime,
) -> TaskRequest:
    """The task ``settings`` describe, or ``InvalidTask`` naming a limit."""
    url = base_url.join(path)
    token = _token(settings, url)
    request = TaskRequest(
        queue=key,
        url=url,
        method=checks.check_method(settings),
        headers=checks.task_headers(settings, auth_key, has_token=token is not None),
        body=settings.payload.body if settings.payload is not None else b"",
        task_id=checks.task_id(settings),
        schedule_time=checks.schedule_time(settings, now),
        dispatch_deadline=checks.dispatch_deadline(settings),
        token=token,
    )
    _check_size(request)
    return request


def _token(settings: TaskSettings, url: str) -> Token | None:
    token: Token | None = settings.oidc_token or settings.oauth_token
    if token is None:
        return None
    email = token.service_account_email
    if not isinstance(email, str) or not email:
        raise InvalidTask("token", "service_account_email must not be empty")
    if isinstance(token, OidcToken) and token.audience is None:
        return OidcToken(email, without_query(url))
    return token


def _check_size(request: TaskRequest) -> None:
    size = encoded_size(request) + _SERVICE_FIELDS_BYTES
    if size > limits.MAX_TASK_BYTES:
        raise InvalidTask(
            "task size",
            f"the task is {size} bytes with its payload of {len(request.body)}; "
            f"Cloud Tasks takes at most {limits.MAX_TASK_BYTES} (1 MiB)",
            hint="store large data elsewhere and send a reference to it",
        )


def encoded_size(request: TaskRequest) -> int:
    """The task's size as a protobuf message, the way the service measures it.

    Exact for the fields set here; a task left unnamed counts a generated id.
    """
    http = _field(len(request.url.encode())) + 2  # url, then method (tag, enum)
    for name, value in request.headers:
        http += _field(_field(len(name.encode())) + _field(len(value.encode())))
    if request.body:
        http += _field(len(request.body))
    if request.token is not None:
        token = request.token
        second = token.audience if isinstance(token, OidcToken) else token.scope
        inner = _field(len(token.service_account_email.encode()))
        inner += _field(len((second or "").encode()))
        http += _field(inner)
    name = request.task_name or f"{request.queue.path}/tasks/{_GENERATED_ID}"
    return _field(http) + _field(len(name.encode()))


def _field(length: int) -> int:
    """A length-delimited field: tag, length varint, then the bytes."""
    varint = 1
    while length >= 0x80 << (7 * (varint - 1)):
        varint += 1
    return 1 + varint + length
