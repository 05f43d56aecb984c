"""A real HTTP target for dispatch tests: records every request, answers as told."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class Received:
    """One request as the target saw it."""

    method: str
    path: str
    headers: dict[str, str]  # keys lower-cased
    body: bytes
    at: float  # time.monotonic() on arrival

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())


@dataclass(frozen=True)
class Answer:
    """How to answer: a status and headers, after `delay` real seconds or
    once `hold` is set (whichever the test asks for)."""

    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    hold: threading.Event | None = None


Answering = Callable[[Received], Answer]


class Target:
    """An HTTP/1.1 server on 127.0.0.1 with an ephemeral port."""

    def __init__(self) -> None:
        self.answering: Answering = lambda request: Answer()
        self._lock = threading.Lock()
        self._received: list[Received] = []
        self.in_flight = 0
        self.most_in_flight = 0
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.02,), daemon=True
        )
        self._thread.start()

    @property
    def base(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def url(self, path: str = "/task") -> str:
        return self.base + path

    def answer(self, answering: Answering | Answer) -> None:
        """Answer every request from now on with this answer, or this function."""
        if isinstance(answering, Answer):
            fixed = answering
            self.answering = lambda request: fixed
        else:
            self.answering = answering

    @property
    def received(self) -> list[Received]:
        with self._lock:
            return list(self._received)

    def wait_for(self, count: int, timeout: float = 5.0) -> list[Received]:
        """The requests, once at least `count` have arrived."""
        give_up = time.monotonic() + timeout
        while len(self.received) < count and time.monotonic() < give_up:
            time.sleep(0.002)
        return self.received

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _arrived(self, request: Received) -> Answer:
        with self._lock:
            self._received.append(request)
            self.in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self.in_flight)
        return self.answering(request)

    def _left(self) -> None:
        with self._lock:
            self.in_flight -= 1


def _handler(target: Target) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as the dispatcher expects

        def do_GET(self) -> None:
            self._serve()

        do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = do_HEAD = do_GET

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            request = Received(
                method=self.command,
                path=self.path,
                headers={key.lower(): value for key, value in self.headers.items()},
                body=self.rfile.read(length),
                at=time.monotonic(),
            )
            answer = target._arrived(request)
            try:
                if answer.hold is not None:
                    answer.hold.wait(10)
                if answer.delay:
                    time.sleep(answer.delay)
            finally:
                target._left()
            self.send_response(answer.status)
            for key, value in answer.headers.items():
                self.send_header(key, value)
            self.send_header("Content-Length", "0")
            self.end_headers()

    return Handler
