"""Recorded tasks as the HTTP requests Cloud Tasks would send for them.

Pure: from a test-mode :class:`~queuekeeper.client.testmode.RecordedTask` to
a :class:`TaskHttpRequest` (method, URL parts, headers, body), and from that
to a WSGI environ (PEP 3333) or an ASGI HTTP scope. The headers are those of
a first attempt (facts: tasks): the task's own, then ``Host``,
``User-Agent: Google-Cloud-Tasks`` and the ``X-CloudTasks-*`` headers with
retry and execution counts of 0. :mod:`queuekeeper.client.inprocess` sends
the requests to an application.

The outbox redacts credentials, so a redacted ``X-API-Key`` is given back
the TaskManager's ``auth_key``; no OIDC or OAuth token is minted.
"""

from __future__ import annotations

import io
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import quote, unquote, unquote_to_bytes, urlsplit

from queuekeeper import limits
from queuekeeper.client.options import Headers
from queuekeeper.client.testmode import RecordedTask
from queuekeeper.fields import REDACTED
from queuekeeper.webhook import API_KEY_HEADER
from queuekeeper.webhook.headers import (
    ETA,
    EXECUTION_COUNT,
    QUEUE_NAME,
    RETRY_COUNT,
    TASK_NAME,
)

USER_AGENT = "Google-Cloud-Tasks"
# Headers Cloud Tasks sets itself; a task cannot carry them (checks refuse
# them), but a hand-made RecordedTask might.
_REPLACED = frozenset({"host", "content-length", "user-agent"})
_OURS = "x-cloudtasks-"
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_DEFAULT_PORTS = {"http": 80, "https": 443}
# Where in-process requests come from: no network was crossed.
_CLIENT = ("127.0.0.1", 0)


@dataclass(frozen=True)
class TaskHttpRequest:
    """The request one attempt of a task makes; ``path`` and ``query`` are
    percent-encoded, as on the wire."""

    task: RecordedTask
    method: str
    scheme: str
    host: str  # the URL's host[:port], as in the Host header
    path: str
    query: str
    headers: Headers = field(repr=False)
    body: bytes = field(repr=False)

    @property
    def server(self) -> tuple[str, int]:
        """The host name and port the URL names (or its scheme's default)."""
        parts = urlsplit(f"{self.scheme}://{self.host}")
        return parts.hostname or "", parts.port or _DEFAULT_PORTS[self.scheme]


@dataclass(frozen=True)
class TaskResponse:
    """What the application answered to one delivered task."""

    task: RecordedTask
    status: int
    headers: Headers
    body: bytes = field(repr=False)

    @property
    def ok(self) -> bool:
        """Whether Cloud Tasks would count the attempt a success (2xx)."""
        return 200 <= self.status < 300

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")

    def header(self, name: str) -> str | None:
        """A response header's value; names ignore case."""
        return next((v for k, v in self.headers if k.lower() == name.lower()), None)


def request_for(
    task: RecordedTask, *, auth_key: str | None, now: datetime
) -> TaskHttpRequest:
    """The first attempt's request for ``task``; its ETA is the task's
    schedule time, or ``now`` when it had none."""
    # Encoded as Cloud Tasks sends it: a URL may hold any printable text.
    parts = urlsplit(quote(task.url, safe=limits.URL_SAFE))
    headers = [
        (k, auth_key if _is_api_key(k, v) and auth_key is not None else v)
        for k, v in task.headers
        if k.lower() not in _REPLACED and not k.lower().startswith(_OURS)
    ]
    eta = (task.schedule_time or now) - _EPOCH
    micros = eta // timedelta(microseconds=1)
    headers += [
        ("Host", parts.netloc),
        ("User-Agent", USER_AGENT),
        (QUEUE_NAME, task.queue),
        (TASK_NAME, task.task_id),
        (RETRY_COUNT, "0"),
        (EXECUTION_COUNT, "0"),
        (ETA, f"{micros // 1_000_000}.{micros % 1_000_000:06d}"),
    ]
    if task.body:
        headers.append(("Content-Length", str(len(task.body))))
    return TaskHttpRequest(
        task=task,
        method=task.method,
        scheme=parts.scheme,
        host=parts.netloc,
        path=parts.path or "/",
        query=parts.query,
        headers=tuple(headers),
        body=task.body,
    )


def wsgi_environ(request: TaskHttpRequest) -> dict[str, Any]:
    """The PEP 3333 environ for ``request``; str values hold latin-1 bytes."""
    name, port = request.server
    environ: dict[str, Any] = {
        "REQUEST_METHOD": request.method,
        "SCRIPT_NAME": "",
        "PATH_INFO": unquote_to_bytes(request.path).decode("latin-1"),
        "QUERY_STRING": request.query,
        "SERVER_NAME": name,
        "SERVER_PORT": str(port),
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": _CLIENT[0],
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": request.scheme,
        "wsgi.input": io.BytesIO(request.body),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
    }
    for key, value in _joined(request.headers):
        key = key.upper().replace("-", "_")
        if key not in ("CONTENT_TYPE", "CONTENT_LENGTH"):
            key = "HTTP_" + key
        environ[key] = value.encode("utf-8").decode("latin-1")
    return environ


def asgi_scope(request: TaskHttpRequest) -> dict[str, Any]:
    """The ASGI 3 HTTP connection scope for ``request``."""
    return {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": request.method,
        "scheme": request.scheme,
        "path": unquote(request.path),
        "raw_path": request.path.encode("ascii"),
        "query_string": request.query.encode("ascii"),
        "root_path": "",
        "headers": [
            (k.lower().encode("latin-1"), v.encode("utf-8")) for k, v in request.headers
        ],
        "client": _CLIENT,
        "server": request.server,
    }


def _is_api_key(name: str, value: str) -> bool:
    return name.lower() == API_KEY_HEADER.lower() and value == REDACTED


def _joined(headers: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    # One environ key per header: a repeated header's values joined with ", "
    # (RFC 9110 §5.3), as WSGI servers do.
    found: dict[str, tuple[str, str]] = {}
    for name, value in headers:
        key = name.lower()
        found[key] = (name, f"{found[key][1]}, {value}" if key in found else value)
    return list(found.values())
