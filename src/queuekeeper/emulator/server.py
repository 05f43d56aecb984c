"""The `Emulator`: a local Cloud Tasks v2 (gRPC and REST) over a SQLite store,
dispatching tasks to their HTTP targets."""

from __future__ import annotations

import os
import threading
from concurrent import futures
from datetime import timedelta
from pathlib import Path
from types import TracebackType
from typing import Any

import grpc

from .backend import Backend, Settings
from .clock import Clock, SystemClock
from .dispatchlog import DEFAULT_LOG_LIMIT, DispatchLog, DispatchRecord
from .errors import ApiError
from .faults import BEFORE, Fault, Faults
from .handlers import generic_handler
from .messages import STATES_BY_NAME
from .oidc import DEFAULT_ISSUER, DISCOVERY_PATH, JWKS_PATH, TokenMinter
from .rest import Pages, RestServer
from .rpc import CallCounter, RpcTable

_WORKERS = 16
_STOP_GRACE_SECONDS = 1.0
# Cloud Tasks keeps a deleted queue's name for 7 days (facts: queue administration).
DEFAULT_QUEUE_TOMBSTONE = timedelta(days=7)
# And a task's name for about an hour (2.23 doc and quotas page; facts: tasks).
DEFAULT_TASK_TOMBSTONE = timedelta(hours=1)


class Emulator:
    """A local Cloud Tasks v2 server that the official client talks to unchanged.

    `db_path=None` keeps state in memory; a path keeps it in a SQLite file (its
    directories are created) so queues and tasks survive a restart. Use it as
    a context manager, or call `start()` and `stop()`.

    Tasks are dispatched to their HTTP targets unless `dispatch=False`, which
    only keeps them (record-only). Every time the emulator reads comes from
    `clock`: pass a `ManualClock` to move time by hand. `issuer` is the `iss`
    of the OIDC tokens tasks carry (see `issuer`). The dispatch log keeps the
    newest `dispatch_log_limit` attempts.
    """

    def __init__(
        self,
        db_path: str | os.PathLike[str] | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        rest_port: int | None = 0,
        queue_tombstone: timedelta = DEFAULT_QUEUE_TOMBSTONE,
        task_tombstone: timedelta = DEFAULT_TASK_TOMBSTONE,
        clock: Clock | None = None,
        dispatch: bool = True,
        issuer: str | None = None,
        dispatch_log_limit: int = DEFAULT_LOG_LIMIT,
    ) -> None:
        self._host = host
        self._port = port
        self._rest_port = rest_port
        self._rest: RestServer | None = None
        self._issuer = issuer
        self._settings = Settings(
            db_path=None if db_path is None else Path(db_path),
            queue_tombstone=queue_tombstone,
            task_tombstone=task_tombstone,
            clock=clock or SystemClock(),
            dispatch=dispatch,
            minter=TokenMinter(lambda: self.issuer),
            log=DispatchLog(dispatch_log_limit),
        )
        self._counter = CallCounter()
        self._faults = Faults()
        self._stopped = threading.Event()
        self._stopped.set()
        self._server: Any = None
        self._executor: futures.ThreadPoolExecutor | None = None
        self._backend: Backend | None = None
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
    def clock(self) -> Clock:
        """The clock every emulator time comes from."""
        return self._settings.clock

    @property
    def issuer(self) -> str:
        """The `iss` of OIDC tokens: as given, else the REST surface's base URL
        (where `openid_configuration` is meant to be served), else
        `oidc.DEFAULT_ISSUER`."""
        if self._issuer:
            return self._issuer
        if self._rest is not None:
            return f"http://{self.rest_address}"
        return DEFAULT_ISSUER

    @property
    def dispatch_log(self) -> list[DispatchRecord]:
        """A snapshot of the attempts made so far, oldest first."""
        return self._settings.log.snapshot()

    def clear_dispatch_log(self) -> None:
        self._settings.log.clear()

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Wait until no task is in flight or due now; False on timeout.

        With a `ManualClock`, tasks due later, and due tasks that their queue's
        rate holds back until the clock moves, do not count: only `advance`
        can release them. Tasks of paused and disabled queues never count.
        """
        return self._running().wait_idle(timeout)

    def jwks(self) -> dict[str, Any]:
        """The JSON Web Key Set that verifies the OIDC tokens tasks carry.

        Serve it at `oidc.JWKS_PATH` ("/oauth2/v3/certs")."""
        return self._settings.minter.jwks()

    def openid_configuration(self, base_url: str) -> dict[str, Any]:
        """The OIDC discovery document, naming `base_url` + `oidc.JWKS_PATH`.

        Serve it at `oidc.DISCOVERY_PATH` ("/.well-known/openid-configuration")."""
        return self._settings.minter.openid_configuration(base_url)

    @property
    def table(self) -> RpcTable:
        """The RPC table every surface serves (counting and faults included)."""
        return self._running().table

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
        """Open the store, start serving and dispatching; returns once bound."""
        if self._server is not None:
            raise RuntimeError("the emulator is already running")
        backend = Backend(self._settings, self._counter, self._faults)
        executor = futures.ThreadPoolExecutor(max_workers=_WORKERS)
        # gRPC lets a second server share a port by default (SO_REUSEPORT);
        # two emulators on one port would answer from two different states.
        server = grpc.server(executor, options=[("grpc.so_reuseport", 0)])
        server.add_generic_rpc_handlers((generic_handler(backend.table),))
        address = self._address(self._port)
        try:
            self._bound_port = server.add_insecure_port(address)
        except RuntimeError:
            backend.close(0.0)
            raise
        server.start()
        if self._rest_port is not None:
            try:
                self._rest = RestServer(
                    backend.table, self._host, self._rest_port, self._oidc_pages()
                )
            except OSError:
                server.stop(grace=None)
                backend.close(0.0)
                raise
            self._rest.start()
        # Dispatch starts last: the issuer names the REST surface by now.
        backend.start()
        self._backend, self._server, self._executor = backend, server, executor
        self._stopped.clear()

    def stop(self) -> None:
        """Stop serving and dispatching, close the store; safe to call twice.

        Attempts in flight get a short grace to finish and be recorded; any
        still running after it are cut off, and made again after a restart.
        """
        server, backend, executor = self._server, self._backend, self._executor
        if server is None or backend is None or executor is None:
            return
        if self._rest is not None:
            self._rest.stop()
            self._rest = None
        # A short grace lets in-flight calls finish before the store closes.
        server.stop(grace=_STOP_GRACE_SECONDS).wait()
        backend.close(_STOP_GRACE_SECONDS)
        executor.shutdown(wait=True)
        self._server = self._backend = self._executor = None
        self._stopped.set()

    def wait(self) -> None:
        """Block until `stop()` is called (from another thread or a signal)."""
        # Waiting in short slices keeps the main thread responsive to Ctrl-C.
        while not self._stopped.wait(0.5):
            pass

    def set_queue_state(self, name: str, state: str) -> None:
        """Test hook: force a queue's state, e.g. "DISABLED" (facts: queue fields).

        Real Cloud Tasks disables a queue only through a queue.yaml upload that
        omits it, which an emulator has no way to receive.
        """
        service = self._running().queue_service
        if state.upper() not in STATES_BY_NAME:
            raise ValueError(f"unknown queue state {state!r}")
        try:
            service.set_state(name, STATES_BY_NAME[state.upper()])
        except ApiError as error:
            if error.code == grpc.StatusCode.NOT_FOUND:
                raise KeyError(name) from error
            raise ValueError(error.message) from error

    def _oidc_pages(self) -> Pages:
        """The discovery document and the keys, served beside the REST API."""

        def discovery() -> dict[str, Any]:
            return self.openid_configuration(f"http://{self.rest_address}")

        return {DISCOVERY_PATH: discovery, JWKS_PATH: self.jwks}

    def _running(self) -> Backend:
        if self._backend is None:
            raise RuntimeError("the emulator is not running")
        return self._backend

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
