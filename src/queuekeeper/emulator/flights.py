"""The dispatcher's working records: a queue's dispatch state, an attempt in flight.

Both belong to the scheduler thread (`dispatch.py`); nothing else touches them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .dispatchlog import DispatchRecord, Outcome
from .outgoing import OutgoingRequest
from .ratelimit import TokenBucket
from .sender import Reply
from .taskstore import TaskRow

NEVER = 2**63  # a wake-up time that never comes


@dataclass
class QueueRun:
    """One queue as the dispatcher sees it."""

    name: str
    queue: Any  # the stored Queue protobuf, reloaded when the queue changes
    bucket: TokenBucket
    in_flight: int = 0
    # When the queue needs its next look (µs on the emulator clock); NEVER
    # until something changes: a task added, an attempt ended, an update.
    wake_us: int = NEVER


@dataclass
class Flight:
    """An attempt in flight."""

    key: int
    run: QueueRun
    row: TaskRow  # the task as leased, with this attempt counted
    request: OutgoingRequest
    start: float
    attempt: int = field(init=False)

    def __post_init__(self) -> None:
        self.attempt = self.row.task.dispatch_count

    def record(self, reply: Reply, end: float, outcome: Outcome) -> DispatchRecord:
        """The dispatch log's entry for this attempt."""
        return DispatchRecord(
            task=self.row.name,
            queue=self.row.queue,
            attempt=self.attempt,
            url=self.request.url,
            method=self.request.method,
            status=reply.status,
            error=reply.error,
            start=self.start,
            end=end,
            outcome=outcome,
        )
