"""The gRPC servers `emulator_throughput` calls: the emulator, and a trivial one.

The trivial server is the baseline for CreateTask: a gRPC server of the same
service, `google.cloud.tasks.v2.CloudTasks`, on the same kind of thread pool
as the emulator's, whose CreateTask only returns the request's task with a
name filled in. It stores nothing and checks nothing, so it measures what
gRPC and protobuf cost on both sides of a call, and no more.

Either server runs in a thread of this process or in a child process of its
own (`spawn`, as in `emulator_host`). A child reports its pid, so its memory
and CPU time can be read from /proc, and answers for its call counts.
"""

from __future__ import annotations

import itertools
import multiprocessing
import os
import threading
from collections.abc import Callable, Iterator
from concurrent import futures
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

import grpc
from google.cloud import tasks_v2

from queuekeeper.emulator import Emulator

SERVICE = "google.cloud.tasks.v2.CloudTasks"
EMULATOR = "emulator"
TRIVIAL = "trivial"
_WORKERS = 16  # the emulator's gRPC thread pool has as many
_STOP = "stop"
_COUNTS = "counts"

# The raw protobuf classes behind the client's proto-plus types.
CreateTaskRequestPb: Any = tasks_v2.CreateTaskRequest.pb()
TaskPb: Any = tasks_v2.Task.pb()


class TrivialServer:
    """CreateTask only: the request's task back, named; nothing kept."""

    def __init__(self) -> None:
        self._ids = itertools.count(1)  # next() on a count is atomic in CPython
        self._lock = threading.Lock()
        self._calls = 0
        self._executor = futures.ThreadPoolExecutor(max_workers=_WORKERS)
        self._server = grpc.server(self._executor, options=[("grpc.so_reuseport", 0)])
        handler = grpc.unary_unary_rpc_method_handler(
            self._create_task,
            request_deserializer=CreateTaskRequestPb.FromString,
            response_serializer=TaskPb.SerializeToString,
        )
        self._server.add_generic_rpc_handlers(
            (grpc.method_handlers_generic_handler(SERVICE, {"CreateTask": handler}),)
        )
        self._port = self._server.add_insecure_port("127.0.0.1:0")

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self._port}"

    @property
    def call_counts(self) -> dict[str, int]:
        with self._lock:
            return {"CreateTask": self._calls}

    def _create_task(self, request: Any, context: Any) -> Any:
        with self._lock:
            self._calls += 1
        task = request.task
        task.name = f"{request.parent}/tasks/{next(self._ids)}"
        return task

    def __enter__(self) -> TrivialServer:
        self._server.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._server.stop(grace=None).wait()
        self._executor.shutdown(wait=True)


Factory = Callable[..., AbstractContextManager[Any]]
FACTORIES: dict[str, Factory] = {EMULATOR: Emulator, TRIVIAL: TrivialServer}


@dataclass(frozen=True)
class Hosted:
    """A running server: where it listens, and its process id."""

    address: str
    pid: int
    counts: Callable[[], dict[str, int]]


@contextmanager
def hosted(kind: str, mode: str, **options: Any) -> Iterator[Hosted]:
    """Server `kind` with `options`, in a thread ("thread") or a child ("process")."""
    if mode == "thread":
        with FACTORIES[kind](**options) as server:
            yield Hosted(server.address, os.getpid(), lambda: server.call_counts)
        return
    with _Child(kind, options) as child:
        yield Hosted(child.address, child.pid, child.counts)


def _serve(conn: Connection, kind: str, options: dict[str, Any]) -> None:
    """The child's side: run the server and answer the parent's commands."""
    with FACTORIES[kind](**options) as server:
        conn.send((server.address, os.getpid()))
        for _command in iter(conn.recv, _STOP):
            conn.send(server.call_counts)


class _Child:
    """A server in a spawned child process, driven over a pipe."""

    def __init__(self, kind: str, options: dict[str, Any]) -> None:
        # spawn, not fork: forking a process that runs gRPC threads is unsafe.
        context = multiprocessing.get_context("spawn")
        self._conn, child_conn = context.Pipe()
        self._process = context.Process(
            target=_serve, args=(child_conn, kind, options), daemon=True
        )

    def __enter__(self) -> _Child:
        self._process.start()
        self.address, self.pid = self._conn.recv()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._conn.send(_STOP)
        self._process.join(timeout=30)
        if self._process.is_alive():
            self._process.kill()

    def counts(self) -> dict[str, int]:
        self._conn.send(_COUNTS)
        counts: dict[str, int] = self._conn.recv()
        return counts
