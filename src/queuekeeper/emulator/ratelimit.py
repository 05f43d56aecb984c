"""A queue's token bucket: `max_dispatches_per_second` refill, `max_burst_size` cap.

Cloud Tasks dispatches through a token bucket whose size is the burst
(facts: rate limits). A new queue starts with a full bucket, so its first
`max_burst_size` tasks go at once and the rest at the dispatch rate.
"""

from __future__ import annotations

# Times near 2e9 s carry float errors of ~2e-7 s, so 0.1 s at 20/s can come
# out as 1.999995 tokens; without the slack that would hold a dispatch back.
# A thousandth of a token is 2 µs at the 500/s maximum.
_EPSILON = 1e-3


class TokenBucket:
    """Tokens on the emulator clock; not thread-safe (one dispatcher thread)."""

    def __init__(self, rate: float, capacity: int, now: float) -> None:
        self._rate = rate
        self._capacity = float(capacity)
        self._tokens = float(capacity)
        self._stamp = now

    def configure(self, rate: float, capacity: int, now: float) -> None:
        """Apply changed rate limits, keeping the tokens already earned."""
        self._refill(now)
        self._rate = rate
        self._capacity = float(capacity)
        self._tokens = min(self._tokens, self._capacity)

    def available(self, now: float) -> int:
        """Whole tokens that can be spent now."""
        self._refill(now)
        return int(self._tokens + _EPSILON)

    def take(self, now: float) -> None:
        """Spend one token."""
        self._refill(now)
        self._tokens -= 1.0

    def next_token_at(self, now: float) -> float:
        """When the next whole token will be there."""
        self._refill(now)
        missing = 1.0 - self._tokens
        if missing <= _EPSILON or self._rate <= 0:
            return now
        return now + missing / self._rate

    def _refill(self, now: float) -> None:
        # A system clock can step back; treat that as no time passing.
        elapsed = max(0.0, now - self._stamp)
        self._tokens = min(self._capacity, self._tokens + elapsed * self._rate)
        self._stamp = max(self._stamp, now)
