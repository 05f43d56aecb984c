"""The emulator's sense of time: the system clock, or one that tests move by hand.

Every time the emulator reads (create and schedule times, tombstones, token
buckets, backoff, dispatch deadlines) comes from one `Clock`. With a
`ManualClock`, a test advances time by minutes in a microsecond of real time and
the dispatcher wakes to dispatch whatever became due.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import datetime
from typing import Protocol

Listener = Callable[[], None]


class Clock(Protocol):
    """A source of Unix time in seconds that can say how long to sleep."""

    def now(self) -> float:
        """The current time, in seconds since the epoch."""
        ...

    def real_seconds_until(self, when: float) -> float | None:
        """Real seconds to sleep until `when`; None if only `advance` gets there."""
        ...

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Call `listener` whenever time jumps; returns the way to unsubscribe."""
        ...


class SystemClock:
    """Wall-clock time; time passes by itself, so nobody needs telling."""

    def now(self) -> float:
        return time.time()

    def real_seconds_until(self, when: float) -> float | None:
        return max(0.0, when - time.time())

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        return _nothing


class ManualClock:
    """A clock that stands still until `advance` moves it.

    It starts at `start` (a Unix time or an aware datetime), by default the
    real time at construction, so the times the emulator reports look real.
    """

    def __init__(self, start: float | datetime | None = None) -> None:
        if isinstance(start, datetime):
            start = start.timestamp()
        # Whole nanoseconds, so a thousand steps of 0.1 s add up to 100 s
        # exactly; a float sum would drift by the float spacing (~2e-7 s
        # near 2e9 s) at every step.
        self._nanos = round((time.time() if start is None else start) * 1e9)
        self._lock = threading.Lock()
        self._listeners: list[Listener] = []

    def now(self) -> float:
        with self._lock:
            return self._nanos / 1e9

    def advance(self, seconds: float) -> None:
        """Move time forward by `seconds` and wake everything waiting on it."""
        if seconds < 0:
            raise ValueError("a clock cannot go backwards")
        with self._lock:
            self._nanos += round(seconds * 1e9)
            listeners = list(self._listeners)
        for listener in listeners:
            listener()

    def real_seconds_until(self, when: float) -> float | None:
        return None

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        with self._lock:
            self._listeners.append(listener)

        def unsubscribe() -> None:
            with self._lock:
                if listener in self._listeners:
                    self._listeners.remove(listener)

        return unsubscribe


def _nothing() -> None:
    pass
