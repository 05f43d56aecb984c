"""The HTTP request one attempt sends: queue overrides, headers, authorization.

Pure: from a stored task and its queue to an `OutgoingRequest`. The token in
the Authorization header is left as an `Auth` to mint on the worker thread,
since signing costs a millisecond the dispatcher's own thread should not pay.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import SplitResult, urlsplit, urlunsplit

from .messages import ENFORCE_IF_NOT_EXISTS, METHOD_NAMES, SCHEME_HTTP
from .names import short_id
from .oidc import DEFAULT_SCOPE
from .taskrules import USER_AGENT
from .taskstore import TaskRow, micros

_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
# Task headers Cloud Tasks computes or owns; a task's own values never go out.
_REPLACED = frozenset({"host", "content-length", "user-agent"})
_OURS = "x-cloudtasks-"
Headers = tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Auth:
    """A token to mint at send time: kind "oidc" or "oauth"."""

    kind: str
    email: str
    audience_or_scope: str


@dataclass(frozen=True)
class OutgoingRequest:
    method: str
    url: str
    headers: Headers
    body: bytes
    timeout: float
    auth: Auth | None = None


def build(row: TaskRow, queue: Any) -> OutgoingRequest:
    """The request for the attempt `row.task` is about to make."""
    task = row.task
    request = task.http_request
    target = queue.http_target if queue.HasField("http_target") else None

    url = request.url
    if target is not None and target.HasField("uri_override"):
        url = override_url(url, target.uri_override)
    method = METHOD_NAMES.get(request.http_method, "POST")
    if target is not None and target.http_method:
        method = METHOD_NAMES.get(target.http_method, method)
    # A queue-level GET (or any body-less method) drops the body (HttpTarget doc).
    body = request.body if method in _BODY_METHODS else b""

    auth = _auth(request, target, url)
    headers = _headers(request.headers, target, row, keep_authorization=not auth)
    if body and not any(name.lower() == "content-type" for name, _ in headers):
        # HttpRequest.headers doc: a body without a Content-Type is sent as
        # application/octet-stream.
        headers = (*headers, ("Content-Type", "application/octet-stream"))
    deadline = task.dispatch_deadline.ToMilliseconds() / 1000
    return OutgoingRequest(method, url, headers, body, deadline, auth)


def override_url(url: str, override: Any) -> str:
    """`url` with the parts a queue's `uri_override` declares.

    ALWAYS (the default) replaces every declared part; IF_NOT_EXISTS fills only
    parts the task URL lacks, so scheme and host, which it always has, stay.
    """
    parts = urlsplit(url)
    always = override.uri_override_enforce_mode != ENFORCE_IF_NOT_EXISTS
    scheme, host, port = parts.scheme, parts.hostname or "", parts.port
    path, query = parts.path, parts.query
    if always and override.HasField("scheme"):
        scheme = "http" if override.scheme == SCHEME_HTTP else "https"
    if always and override.HasField("host"):
        host = override.host
    if override.HasField("port") and (always or port is None):
        port = override.port or None  # zero clears the port
    if override.HasField("path_override") and (always or not path):
        path = override.path_override.path
    if override.HasField("query_override") and (always or not query):
        query = override.query_override.query_params
    return urlunsplit((scheme, _netloc(parts, host, port), path, query, ""))


def _netloc(parts: SplitResult, host: str, port: int | None) -> str:
    userinfo = parts.netloc.rpartition("@")[0]
    if ":" in host:  # an IPv6 literal goes back in brackets
        host = f"[{host}]"
    netloc = host if port is None else f"{host}:{port}"
    return f"{userinfo}@{netloc}" if userinfo else netloc


def _headers(
    task_headers: Any, target: Any, row: TaskRow, *, keep_authorization: bool
) -> Headers:
    # Keyed by lower-case name: header names are case-insensitive, and an
    # override replaces a task header whatever its spelling.
    given = list(task_headers.items())
    if target is not None:
        given += [(o.header.key, o.header.value) for o in target.header_overrides]
    merged: dict[str, tuple[str, str]] = {}
    for key, value in given:
        lowered = key.lower()
        if lowered in _REPLACED or lowered.startswith(_OURS):
            continue
        if lowered == "authorization" and not keep_authorization:
            continue  # a token is minted for this attempt instead
        merged[lowered] = (key, value)
    for key, value in _cloud_tasks_headers(row):
        merged[key.lower()] = (key, value)
    return tuple(merged.values())


def _cloud_tasks_headers(row: TaskRow) -> list[tuple[str, str]]:
    """The headers every attempt carries (facts: tasks)."""
    task = row.task
    retries = task.dispatch_count - 1  # dispatch_count already counts this one
    eta = micros(task.schedule_time)
    headers = [
        ("User-Agent", USER_AGENT),
        ("X-CloudTasks-QueueName", short_id(row.queue)),
        ("X-CloudTasks-TaskName", short_id(row.name)),
        ("X-CloudTasks-TaskRetryCount", str(retries)),
        ("X-CloudTasks-TaskExecutionCount", str(row.executions)),
        ("X-CloudTasks-TaskETA", f"{eta // 1_000_000}.{eta % 1_000_000:06d}"),
    ]
    if retries > 0:
        # "0" when the previous attempt got no response (a timeout or a
        # refused connection): production's value there was never recorded.
        headers.append(
            ("X-CloudTasks-TaskPreviousResponse", str(row.previous_response))
        )
        # Recorded against production: empty for HTTP targets.
        headers.append(("X-CloudTasks-TaskRetryReason", ""))
    return headers


def _auth(request: Any, target: Any, url: str) -> Auth | None:
    # A queue-level token replaces the task's own.
    source = request
    if target is not None and target.WhichOneof("authorization_header"):
        source = target
    kind = source.WhichOneof("authorization_header")
    if kind == "oidc_token":
        token = source.oidc_token
        # The audience defaults to the URL the request goes to.
        return Auth("oidc", token.service_account_email, token.audience or url)
    if kind == "oauth_token":
        token = source.oauth_token
        return Auth("oauth", token.service_account_email, token.scope or DEFAULT_SCOPE)
    return None
