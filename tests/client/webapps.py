"""Tiny hand-written WSGI and ASGI workers, as an application would write
them with queuekeeper.webhook and no framework.

Each checks the API key and reads the X-CloudTasks-* headers; a task that
fails either gets 403. The answer is JSON describing what the worker saw.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

from queuekeeper.client.inprocess import Message, Receive, Send, StartResponse
from queuekeeper.webhook import (
    WebhookError,
    headers_from_environ,
    parse_task_headers,
    require_api_key,
)

Seen = dict[str, Any]


def answer(headers: dict[str, str], body: bytes, key: str) -> tuple[int, Seen]:
    """The status and what the worker saw: the attempt, the body, the key."""
    try:
        require_api_key(headers, key)
        attempt = parse_task_headers(headers)
    except WebhookError as exc:
        return 403, {"error": str(exc)}
    return 200, {
        "queue": attempt.queue_name,
        "task": attempt.task_name,
        "retry_count": attempt.retry_count,
        "execution_count": attempt.execution_count,
        "eta": attempt.eta.isoformat(),
        "is_retry": attempt.is_retry,
        "body": body.decode("utf-8", errors="replace"),
        "user_agent": headers.get("user-agent"),
        "content_type": headers.get("content-type"),
    }


class WsgiWorker:
    """A WSGI worker that keeps every environ it was called with."""

    def __init__(self, key: str, then: Callable[[Seen], None] | None = None) -> None:
        self.key = key
        self.then = then
        self.environs: list[dict[str, Any]] = []

    def __call__(
        self, environ: dict[str, Any], start_response: StartResponse
    ) -> Iterable[bytes]:
        self.environs.append(environ)
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length)
        status, seen = answer(headers_from_environ(environ), body, self.key)
        seen["path"] = environ["PATH_INFO"]
        seen["query"] = environ["QUERY_STRING"]
        seen["method"] = environ["REQUEST_METHOD"]
        if self.then is not None:
            self.then(seen)
        text = json.dumps(seen).encode()
        start_response(
            f"{status} {'OK' if status == 200 else 'Forbidden'}",
            [("Content-Type", "application/json"), ("X-Worker", "wsgi")],
        )
        return [text]


class AsgiWorker:
    """An ASGI worker that keeps every scope it was called with, and waits
    for the disconnect after answering, as streaming frameworks do."""

    def __init__(self, key: str) -> None:
        self.key = key
        self.scopes: list[dict[str, Any]] = []

    async def __call__(self, scope: Any, receive: Receive, send: Send) -> None:
        self.scopes.append(scope)
        body = b""
        while True:
            message: Message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body", False):
                break
        headers = {k.decode(): v.decode() for k, v in scope["headers"]}
        status, seen = answer(headers, body, self.key)
        seen["path"] = scope["path"]
        seen["query"] = scope["query_string"].decode()
        seen["method"] = scope["method"]
        text = json.dumps(seen).encode()
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [(b"content-type", b"application/json")],
            }
        )
        half = len(text) // 2
        part = "http.response.body"
        await send({"type": part, "body": text[:half], "more_body": True})
        await send({"type": part, "body": text[half:]})
        assert (await receive())["type"] == "http.disconnect"
