"""Fault injection: make chosen RPCs fail with a chosen status, on demand.

A fault fires *before* the call (nothing happens, as when the service is
unavailable) or *after* it (the change is made but the answer is lost, as when
a deadline passes on the way back), so tests can prove that retries neither
lose work nor do it twice.
"""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass

import grpc

BEFORE = "before"
AFTER = "after"


@dataclass
class Fault:
    code: grpc.StatusCode
    ratio: float
    remaining: int | None  # None: no limit
    when: str


class Faults:
    """The faults armed per RPC method; safe across handler threads."""

    def __init__(self, seed: int = 0) -> None:
        self._lock = threading.Lock()
        self._armed: dict[str, Fault] = {}
        self._random = random.Random(seed)

    def arm(self, method: str, fault: Fault) -> None:
        with self._lock:
            self._armed[method] = fault

    def clear(self) -> None:
        with self._lock:
            self._armed.clear()

    def draw(self, method: str, when: str) -> grpc.StatusCode | None:
        """The status this call must fail with at ``when``, if any."""
        with self._lock:
            fault = self._armed.get(method)
            if fault is None or fault.when != when or fault.remaining == 0:
                return None
            if self._random.random() >= fault.ratio:
                return None
            if fault.remaining is not None:
                fault.remaining -= 1
            return fault.code
