"""Where the benchmark's emulator runs: a thread of this process, or a child.

In a thread (the default, as the test suite runs it) the emulator's handlers
and the code under test share one GIL, so parallel calls from ``apply`` gain
little. A child process gives the emulator its own interpreter, the way a real
Cloud Tasks endpoint never competes with the client for CPU time.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Iterator
from contextlib import contextmanager
from multiprocessing.connection import Connection
from typing import Any, Protocol

from queuekeeper.emulator import Emulator

MODES = ("thread", "process")
_STOP = "stop"
_RESET = "reset"
_COUNTS = "counts"


class EmulatorLike(Protocol):
    """What the benchmarks need of an emulator, wherever it runs."""

    @property
    def address(self) -> str: ...

    @property
    def call_counts(self) -> dict[str, int]: ...

    def reset_call_counts(self) -> None: ...


@contextmanager
def running_emulator(mode: str, **options: Any) -> Iterator[EmulatorLike]:
    """An in-memory emulator, in a thread or a child process; ``options`` go
    to ``Emulator`` (e.g. ``dispatch=False``)."""
    if mode == "thread":
        with Emulator(**options) as emulator:
            yield emulator
    else:
        with ChildEmulator(**options) as child:
            yield child


def _serve(conn: Connection, options: dict[str, Any]) -> None:
    """The child's side: run an emulator and answer the parent's commands."""
    with Emulator(**options) as emulator:
        conn.send(emulator.address)
        for command in iter(conn.recv, _STOP):
            if command == _RESET:
                emulator.reset_call_counts()
            conn.send(emulator.call_counts)


class ChildEmulator:
    """An in-memory emulator in a child process, counts read over a pipe."""

    def __init__(self, **options: Any) -> None:
        self._options = options

    def __enter__(self) -> ChildEmulator:
        # spawn, not fork: forking a process that already runs gRPC threads
        # is unsafe.
        context = multiprocessing.get_context("spawn")
        self._conn, child_conn = context.Pipe()
        self._process = context.Process(target=_serve, args=(child_conn, self._options))
        self._process.start()
        self._address: str = self._conn.recv()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._conn.send(_STOP)
        self._process.join(timeout=10)

    @property
    def address(self) -> str:
        return self._address

    @property
    def call_counts(self) -> dict[str, int]:
        return self._ask(_COUNTS)

    def reset_call_counts(self) -> None:
        self._ask(_RESET)

    def _ask(self, command: str) -> dict[str, int]:
        self._conn.send(command)
        counts: dict[str, int] = self._conn.recv()
        return counts
