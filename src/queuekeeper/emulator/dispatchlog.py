"""The dispatch log: one record per attempt, for tests and for the curious."""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass
from enum import Enum

DEFAULT_LOG_LIMIT = 10_000


class Outcome(str, Enum):
    """What became of the task after the attempt."""

    SUCCEEDED = "succeeded"  # a 2xx: the task is done and deleted
    RETRYING = "retrying"  # scheduled again after its backoff
    FAILED = "failed"  # out of attempts and retry duration: deleted
    GONE = "gone"  # deleted, purged or its queue deleted during the attempt


@dataclass(frozen=True)
class DispatchRecord:
    """One attempt. Times are on the emulator's clock (Unix seconds).

    `attempt` counts from 1. `status` is the HTTP status, or None when there was
    no response; `error` then says why ("deadline exceeded", "connection
    refused", ...) and is empty otherwise.
    """

    task: str
    queue: str
    attempt: int
    url: str
    method: str
    status: int | None
    error: str
    start: float
    end: float
    outcome: Outcome


class DispatchLog:
    """The newest `limit` records, safe to append to from any thread."""

    def __init__(self, limit: int = DEFAULT_LOG_LIMIT) -> None:
        self._lock = threading.Lock()
        self._records: deque[DispatchRecord] = deque(maxlen=limit)

    def add(self, record: DispatchRecord) -> None:
        with self._lock:
            self._records.append(record)

    def snapshot(self) -> list[DispatchRecord]:
        with self._lock:
            return list(self._records)

    def clear(self) -> None:
        with self._lock:
            self._records.clear()
