"""Queue settings a TaskManager creates queues with, and what it reads back."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from queuekeeper import limits
from queuekeeper.errors import ConfigError
from queuekeeper.fields import Value, redact

RATE = "rate_limits.max_dispatches_per_second"
CONCURRENCY = "rate_limits.max_concurrent_dispatches"
ATTEMPTS = "retry_config.max_attempts"
UNLIMITED = "unlimited"


@dataclass(frozen=True)
class QueueOptions:
    """Rate limits and retries for queues the TaskManager creates.

    ``None`` leaves a field to the service's default (500/s, 1,000 at once,
    100 attempts). ``max_attempts`` counts the first attempt; ``-1`` or
    ``"unlimited"`` means no limit (kept as -1).
    """

    max_dispatches_per_second: float | None = None
    max_concurrent_dispatches: int | None = None
    max_attempts: int | Literal["unlimited"] | None = None

    def __post_init__(self) -> None:
        if self.max_attempts == UNLIMITED:
            object.__setattr__(self, "max_attempts", -1)
        rate = self.max_dispatches_per_second
        if isinstance(rate, int) and not isinstance(rate, bool):
            object.__setattr__(self, "max_dispatches_per_second", float(rate))
        for path, value in self.settings().items():
            wrong = limits.problem(path, value)
            if wrong:
                name = path.rsplit(".", 1)[1]
                raise ConfigError(f"queue_options.{name}: {wrong}")

    def settings(self) -> dict[str, Value]:
        """The fields given, as update-mask paths (what a create sends)."""
        given = {
            RATE: self.max_dispatches_per_second,
            CONCURRENCY: self.max_concurrent_dispatches,
            ATTEMPTS: self.max_attempts,
        }
        return {path: value for path, value in given.items() if value is not None}


@dataclass(frozen=True)
class QueueInfo:
    """A live queue as Cloud Tasks (or test mode) describes it."""

    path: str  # projects/P/locations/L/queues/Q
    state: str  # RUNNING, PAUSED or DISABLED
    # Every field read, by update-mask path (fields.FIELDS); durations are
    # whole nanoseconds. In test mode: only the fields that were sent.
    settings: Mapping[str, Value] = field(default_factory=dict)
    max_burst_size: int = 0

    def __repr__(self) -> str:
        # Header overrides may hold credentials.
        shown = {path: redact(path, value) for path, value in self.settings.items()}
        return (
            f"QueueInfo(path={self.path!r}, state={self.state!r}, "
            f"settings={shown!r}, max_burst_size={self.max_burst_size})"
        )

    @property
    def name(self) -> str:
        return self.path.rsplit("/", 1)[-1]

    @property
    def max_dispatches_per_second(self) -> float | None:
        value = self.settings.get(RATE)
        return float(value) if isinstance(value, int | float) else None

    @property
    def max_concurrent_dispatches(self) -> int | None:
        value = self.settings.get(CONCURRENCY)
        return value if isinstance(value, int) else None

    @property
    def max_attempts(self) -> int | None:
        """-1 means unlimited."""
        value = self.settings.get(ATTEMPTS)
        return value if isinstance(value, int) else None
