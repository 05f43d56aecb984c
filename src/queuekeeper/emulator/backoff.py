"""Retry timing: the documented backoff, `Retry-After`, and when to give up.

facts: retries. The interval starts at `min_backoff`, doubles `max_doublings`
times, then grows linearly by `2^max_doublings * min_backoff` per retry, and
never exceeds `max_backoff`: min 10 s, max 300 s and 3 doublings give 10, 20,
40, 80, 160, 240, 300, 300, ...
"""

from __future__ import annotations

from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any

from .queues import (
    DEFAULT_MAX_ATTEMPTS,
    DEFAULT_MAX_BACKOFF_SECONDS,
    DEFAULT_MAX_DOUBLINGS,
    DEFAULT_MIN_BACKOFF_NANOS,
)

# 429 and 503 ask the sender to slow down; only they honour Retry-After
# (the HttpRequest doc in facts: retries).
THROTTLING_STATUSES = frozenset({429, 503})
_NANOS = 1_000_000_000


@dataclass(frozen=True)
class RetryPolicy:
    """The retry settings in force for one task, durations in seconds."""

    max_attempts: int = DEFAULT_MAX_ATTEMPTS
    max_retry_duration: float = 0.0
    min_backoff: float = DEFAULT_MIN_BACKOFF_NANOS / _NANOS
    max_backoff: float = float(DEFAULT_MAX_BACKOFF_SECONDS)
    max_doublings: int = DEFAULT_MAX_DOUBLINGS

    def delay(self, attempts: int) -> float:
        """Seconds before the retry that follows attempt number `attempts`."""
        return retry_delay(
            attempts, self.min_backoff, self.max_backoff, self.max_doublings
        )

    def gives_up(self, attempts: int, first_attempt: float, now: float) -> bool:
        """Whether a task that just failed its `attempts`-th attempt is done.

        Cloud Tasks stops only when both limits are reached; -1 attempts and a
        zero duration mean unlimited, so -1 never stops on the count alone.
        """
        enough_attempts = self.max_attempts != -1 and attempts >= self.max_attempts
        long_enough = (
            self.max_retry_duration <= 0
            or now - first_attempt >= self.max_retry_duration
        )
        return enough_attempts and long_enough


def retry_delay(
    attempts: int, min_backoff: float, max_backoff: float, max_doublings: int
) -> float:
    """The backoff after the `attempts`-th failed attempt (1 for the first)."""
    retries = max(1, attempts)
    # Cap the exponent: past the cap the result is max_backoff anyway, and a
    # huge power of two would overflow a float.
    doublings = min(retries - 1, max_doublings, 64)
    if retries - 1 <= max_doublings:
        interval = min_backoff * 2.0**doublings
    else:
        interval = min_backoff * 2.0**doublings * (retries - max_doublings)
    return min(interval, max_backoff)


def retry_after(value: str | None, now: float) -> float | None:
    """Seconds a `Retry-After` header asks for (delay-seconds or HTTP-date)."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:  # RFC 9110 dates are GMT; a bare one means that too
        return None
    return max(0.0, when.timestamp() - now)


def policy_for(queue_retry: Any, task: Any) -> RetryPolicy:
    """The queue's retry settings with a task-level `retry_config` on top.

    `Task.retry_config` "overrides the Queue.retry_config for this task"
    (facts: retries). A stored queue has every default filled, so its values
    are taken as they are (a zero `max_doublings` there means linear backoff);
    from the task only the fields it sets override, proto3 zeros being unset.
    """
    policy = RetryPolicy(
        max_attempts=queue_retry.max_attempts,
        max_retry_duration=_seconds(queue_retry, "max_retry_duration", 0.0),
        min_backoff=_seconds(queue_retry, "min_backoff", RetryPolicy.min_backoff),
        max_backoff=_seconds(queue_retry, "max_backoff", RetryPolicy.max_backoff),
        max_doublings=queue_retry.max_doublings,
    )
    if not task.HasField("retry_config"):
        return policy
    mine = task.retry_config
    return RetryPolicy(
        max_attempts=mine.max_attempts or policy.max_attempts,
        max_retry_duration=_seconds(
            mine, "max_retry_duration", policy.max_retry_duration
        ),
        min_backoff=_seconds(mine, "min_backoff", policy.min_backoff),
        max_backoff=_seconds(mine, "max_backoff", policy.max_backoff),
        max_doublings=mine.max_doublings or policy.max_doublings,
    )


def _seconds(config: Any, field: str, fallback: float) -> float:
    if not config.HasField(field):
        return fallback
    value = getattr(config, field)
    return float(value.seconds) + float(value.nanos) / _NANOS
