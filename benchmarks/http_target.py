"""A fast local HTTP target, in a child process, that notes when tasks arrive.

It answers every request 200 with an empty body over keep-alive connections
(a thread per connection, so 100 dispatches in flight need 100 threads) and
keeps, per request, its arrival time on `time.monotonic()` (one clock for the
whole machine on Linux, so the parent can compare) and the task name from
`X-CloudTasks-TaskName`, which tells a duplicate delivery from a new task.
"""

from __future__ import annotations

import multiprocessing
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from multiprocessing.connection import Connection

_STOP = "stop"
_COUNT = "count"
_ARRIVALS = "arrivals"


@dataclass(frozen=True)
class Arrivals:
    """What reached the target: sorted arrival times and the distinct tasks."""

    times: list[float]
    tasks: int
    most_in_flight: int  # requests being answered at once, at the peak


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as the emulator's pool expects
    server: _Server

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        self.server.enter(time.monotonic(), self.headers.get("X-CloudTasks-TaskName"))
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()
        self.server.leave()

    def log_message(self, format: str, *args: object) -> None:
        pass  # one line per request would cost more than the answer


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256  # the emulator may open 100+ connections at once

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.lock = threading.Lock()
        self.times: list[float] = []
        self.names: set[str] = set()
        self.in_flight = self.most_in_flight = 0

    def enter(self, at: float, name: str | None) -> None:
        with self.lock:
            self.times.append(at)
            self.names.add(name or "")
            self.in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self.in_flight)

    def leave(self) -> None:
        with self.lock:
            self.in_flight -= 1

    def arrivals(self) -> Arrivals:
        with self.lock:
            names = len(self.names - {""})
            return Arrivals(sorted(self.times), names, self.most_in_flight)

    def count(self) -> int:
        with self.lock:
            return len(self.times)


def _serve(conn: Connection) -> None:
    server = _Server()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    conn.send(server.server_address[1])
    for command in iter(conn.recv, _STOP):
        conn.send(server.count() if command == _COUNT else server.arrivals())
    server.shutdown()


class HttpTarget:
    """The target in a spawned child; `url` to send tasks to."""

    def __init__(self) -> None:
        context = multiprocessing.get_context("spawn")
        self._conn, child_conn = context.Pipe()
        self._process = context.Process(target=_serve, args=(child_conn,), daemon=True)
        self.url = ""

    def __enter__(self) -> HttpTarget:
        self._process.start()
        self.url = f"http://127.0.0.1:{self._conn.recv()}/work"
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._conn.send(_STOP)
        self._process.join(timeout=10)
        if self._process.is_alive():
            self._process.kill()

    @property
    def pid(self) -> int:
        return self._process.pid or 0

    def count(self) -> int:
        """Requests received so far."""
        self._conn.send(_COUNT)
        count: int = self._conn.recv()
        return count

    def arrivals(self) -> Arrivals:
        self._conn.send(_ARRIVALS)
        arrivals: Arrivals = self._conn.recv()
        return arrivals

    def wait_for(self, count: int, timeout: float) -> int:
        """Poll until `count` requests arrived or `timeout` passed; how many did."""
        give_up = time.monotonic() + timeout
        while (seen := self.count()) < count and time.monotonic() < give_up:
            time.sleep(0.05)
        return seen
