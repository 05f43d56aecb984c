"""The `Emulator`: a local Cloud Tasks v2 gRPC server over a SQLite store."""

from __future__ import annotations

import os
import threading
from concurrent import futures
from datetime import timedelta
from pathlib import Path
from types import TracebackType
from typing import Any

import grpc

from .errors import ApiError
from .faults import BEFORE, Fault, Faults
from .handlers import generic_handler, queue_rpcs
from .messages import STATES_BY_NAME
from .rest import RestServer
from .rpc import CallCounter, RpcTable
from .service import QueueService
from .store import QueueStore

_WORKERS = 16
_STOP_GRACE_SECONDS = 1.0
# Real Cloud Tasks keeps a deleted queue's name for 7 days (reference §5.8).
DEFAULT_QUEUE_TOMBSTONE = timedelta(days=7)


class Emulator:
    """A local Cloud Tasks v2 server that the official client talks to unchanged.

    `db_path=None` keeps state in memory; a path keeps it in a SQLite file (its
    directories are created) so queues survive a restart. Use it as a context
    manager, or call `start()` and `stop()`.
    """

    def __init__(
        self,
        db_path: str | os.PathLike[str] | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        rest_port: int | None = 0,
        queue_tombstone: timedelta = DEFAULT_QUEUE_TOMBSTONE,
    ) -> None:
        self._db_path = None if db_path is None else Path(db_path)
        self._host = host
        self._port = port
        self._rest_port = rest_port
        self._rest: RestServer | None = None
        self._queue_tombstone = queue_tombstone
        self._counter = CallCounter()
        self._faults = Faults()
        self._stopped = threading.Event()
        self._stopped.set()
        self._server: Any = None
        self._executor: futures.ThreadPoolExecutor | None = None
        self._store: QueueStore | None = None
        self._service: QueueService | None = None
        self._bound_port = 0

    @property
    def address(self) -> str:
        """`host:port` the server listens on, with the port actually bound."""
        if self._server is None:
            raise RuntimeError("the emulator is not running")
        return self._address(self._bound_port)

    @property
    def rest_address(self) -> str:
        """`host:port` of the REST/JSON surface (for gcloud and REST clients)."""
        if self._rest is None:
            raise RuntimeError("the emulator's REST surface is not running")
        return self._address(self._rest.port)

    @property
    def call_counts(self) -> dict[str, int]:
        """A copy of the calls received per RPC method name, e.g. "ListQueues"."""
        return self._counter.snapshot()

    def reset_call_counts(self) -> None:
        self._counter.reset()

    def inject_fault(
        self,
        method: str,
        code: grpc.StatusCode = grpc.StatusCode.UNAVAILABLE,
        *,
        count: int | None = None,
        ratio: float = 1.0,
        when: str = BEFORE,
    ) -> None:
        """Make calls to ``method`` (e.g. "CreateQueue") fail with ``code``.

        ``ratio`` of the calls fail (drawn from a seeded generator, so a run is
        repeatable), at most ``count`` of them when given. ``when="before"``
        fails the call without doing it; ``"after"`` does it, then fails.
        """
        self._faults.arm(method, Fault(code, ratio, count, when))

    def clear_faults(self) -> None:
        self._faults.clear()

    def start(self) -> None:
        """Open the store and start serving; returns once the port is bound."""
        if self._server is not None:
            raise RuntimeError("the emulator is already running")
        store = QueueStore(self._db_path)
        service = QueueService(store, self._queue_tombstone)
        executor = futures.ThreadPoolExecutor(max_workers=_WORKERS)
        server = grpc.server(executor)
        table = RpcTable(queue_rpcs(service), self._counter, self._faults)
        server.add_generic_rpc_handlers((generic_handler(table),))
        address = self._address(self._port)
        try:
            self._bound_port = server.add_insecure_port(address)
        except RuntimeError:
            store.close()
            raise
        server.start()
        if self._rest_port is not None:
            self._rest = RestServer(table, self._host, self._rest_port)
            self._rest.start()
        self._store, self._service, self._server = store, service, server
        self._executor = executor
        self._stopped.clear()

    def stop(self) -> None:
        """Stop serving and close the store; safe to call twice."""
        server, store, executor = self._server, self._store, self._executor
        if server is None or store is None or executor is None:
            return
        if self._rest is not None:
            self._rest.stop()
            self._rest = None
        # A short grace lets in-flight calls finish before the store closes.
        server.stop(grace=_STOP_GRACE_SECONDS).wait()
        executor.shutdown(wait=True)
        store.close()
        self._server = self._store = self._service = self._executor = None
        self._stopped.set()

    def wait(self) -> None:
        """Block until `stop()` is called (from another thread or a signal)."""
        # Waiting in short slices keeps the main thread responsive to Ctrl-C.
        while not self._stopped.wait(0.5):
            pass

    def set_queue_state(self, name: str, state: str) -> None:
        """Test hook: force a queue's state, e.g. "DISABLED" (reference §6.5).

        Real Cloud Tasks disables a queue only through a queue.yaml upload that
        omits it, which an emulator has no way to receive.
        """
        if self._service is None:
            raise RuntimeError("the emulator is not running")
        if state.upper() not in STATES_BY_NAME:
            raise ValueError(f"unknown queue state {state!r}")
        try:
            self._service.set_state(name, STATES_BY_NAME[state.upper()])
        except ApiError as error:
            if error.code == grpc.StatusCode.NOT_FOUND:
                raise KeyError(name) from error
            raise ValueError(error.message) from error

    def _address(self, port: int) -> str:
        host = f"[{self._host}]" if ":" in self._host else self._host
        return f"{host}:{port}"

    def __enter__(self) -> Emulator:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()
