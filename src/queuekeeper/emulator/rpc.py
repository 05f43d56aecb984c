"""The table of RPCs, shared by the gRPC and REST surfaces.

Every call, whatever surface it came in by, is counted and may meet an
injected fault here, so tests see one emulator however they talk to it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import grpc

from .errors import ApiError
from .faults import AFTER, BEFORE, Faults


@dataclass(frozen=True)
class Rpc:
    """One method: the callable on a raw request, and the message classes."""

    name: str
    call: Callable[[Any], Any]
    request_type: Any
    response_type: Any


class CallCounter:
    """How many calls each RPC method received; safe across handler threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: dict[str, int] = {}

    def add(self, method: str) -> None:
        with self._lock:
            self._counts[method] = self._counts.get(method, 0) + 1

    def snapshot(self) -> dict[str, int]:
        with self._lock:
            return dict(self._counts)

    def reset(self) -> None:
        with self._lock:
            self._counts.clear()


class RpcTable:
    """Invokes RPCs by name with counting and fault injection."""

    def __init__(self, rpcs: Mapping[str, Rpc], counter: CallCounter, faults: Faults):
        self.rpcs = dict(rpcs)
        self._counter = counter
        self._faults = faults

    def invoke(self, name: str, request: Any) -> Any:
        """The response to ``request``; raises :class:`ApiError` on refusal."""
        self._counter.add(name)
        self._maybe_fail(name, BEFORE)
        response = self.rpcs[name].call(request)
        self._maybe_fail(name, AFTER)
        return response

    def _maybe_fail(self, name: str, when: str) -> None:
        code = self._faults.draw(name, when)
        if code is not None:
            raise ApiError(code, f"Injected fault ({when} {name}).")


def unimplemented(name: str) -> Callable[[Any], Any]:
    def call(request: Any) -> Any:
        raise ApiError(
            grpc.StatusCode.UNIMPLEMENTED,
            f"{name} is not implemented by the queuekeeper emulator.",
        )

    return call
