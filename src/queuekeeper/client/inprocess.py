"""Send task requests to a WSGI or ASGI application in the process.

No server and no framework: the application is called as a server would
call it, with the environ or scope :mod:`queuekeeper.client.delivery`
builds, and its whole answer is collected. An exception the application
raises is not turned into a 500: it propagates, so the test shows it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from types import TracebackType
from typing import Any, Protocol

from queuekeeper.client.delivery import (
    TaskHttpRequest,
    TaskResponse,
    asgi_scope,
    wsgi_environ,
)

ExcInfo = tuple[type[BaseException], BaseException, TracebackType]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
AsgiApp = Callable[[MutableMapping[str, Any], Receive, Send], Awaitable[None]]


class StartResponse(Protocol):
    def __call__(
        self,
        status: str,
        headers: list[tuple[str, str]],
        exc_info: ExcInfo | None = ...,
        /,
    ) -> Callable[[bytes], object]: ...


WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


def call_wsgi(app: WsgiApp, request: TaskHttpRequest) -> TaskResponse:
    """Call a WSGI application with ``request``; its answer, read whole."""
    started: list[tuple[str, list[tuple[str, str]]]] = []
    chunks: list[bytes] = []

    def start_response(
        status: str,
        headers: list[tuple[str, str]],
        exc_info: ExcInfo | None = None,
        /,
    ) -> Callable[[bytes], object]:
        if exc_info is not None and chunks:
            # PEP 3333: too late to change the status once the body began.
            raise exc_info[1].with_traceback(exc_info[2])
        started.append((status, list(headers)))
        return chunks.append

    result = app(wsgi_environ(request), start_response)
    try:
        chunks.extend(result)
    finally:
        close = getattr(result, "close", None)
        if close is not None:
            close()
    if not started:
        raise RuntimeError("the WSGI application never called start_response")
    status, headers = started[-1]
    return TaskResponse(
        request.task, int(status.split(" ", 1)[0]), tuple(headers), b"".join(chunks)
    )


async def call_asgi(app: AsgiApp, request: TaskHttpRequest) -> TaskResponse:
    """Call an ASGI 3 application with ``request``; its answer, read whole."""
    exchange = _AsgiExchange(request.body)
    await app(asgi_scope(request), exchange.receive, exchange.send)
    exchange.finished.set()
    if exchange.status is None:
        raise RuntimeError("the ASGI application sent no http.response.start")
    headers = tuple(
        (k.decode("latin-1"), v.decode("latin-1")) for k, v in exchange.headers
    )
    return TaskResponse(
        request.task, exchange.status, headers, b"".join(exchange.chunks)
    )


class _AsgiExchange:
    """The server's side of one HTTP request: the body once, then, after the
    response, a disconnect."""

    def __init__(self, body: bytes) -> None:
        self._body: bytes | None = body
        self.status: int | None = None
        self.headers: list[tuple[bytes, bytes]] = []
        self.chunks: list[bytes] = []
        self.finished = asyncio.Event()

    async def receive(self) -> Message:
        if self._body is not None:
            body, self._body = self._body, None
            return {"type": "http.request", "body": body, "more_body": False}
        # A real server says this when the client goes away; Cloud Tasks
        # does once it has the whole response.
        await self.finished.wait()
        return {"type": "http.disconnect"}

    async def send(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.status = int(message["status"])
            self.headers = [(bytes(k), bytes(v)) for k, v in message.get("headers", [])]
        elif message["type"] == "http.response.body":
            self.chunks.append(bytes(message.get("body", b"")))
            if not message.get("more_body", False):
                self.finished.set()
