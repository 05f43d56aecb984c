"""Retrying one call with exponential backoff, counting the attempts.

The call receives its attempt number (0 for the first), so it can tell an
answer to its own earlier attempt (ALREADY_EXISTS after a lost reply) from a
real conflict.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from queuekeeper.errors import QueuekeeperError, TransientError

log = logging.getLogger("queuekeeper.client")

T = TypeVar("T")


@dataclass(frozen=True)
class RetryPolicy:
    """Backoff from ``initial`` doubling to ``maximum`` (each delay drawn
    between half and all of it), for at most ``deadline`` seconds in all."""

    deadline: float = 30.0
    initial: float = 0.2
    maximum: float = 5.0

    def delay(self, retry: int) -> float:
        cap = min(self.maximum, self.initial * 2.0**retry)
        return random.uniform(cap / 2, cap)


def with_retries(
    policy: RetryPolicy,
    what: str,
    call: Callable[[int], T],
    *,
    retry_on: tuple[type[QueuekeeperError], ...] = (TransientError,),
) -> tuple[T, int]:
    """``call``'s result and the attempts made; the last error if none worked."""
    give_up = time.monotonic() + policy.deadline
    attempt = 0
    while True:
        try:
            return call(attempt), attempt + 1
        except retry_on as exc:
            wait = policy.delay(attempt)
            if time.monotonic() + wait > give_up:
                raise
            log.warning(
                "%s failed (%s); retry %d in %.2f s", what, exc, attempt + 1, wait
            )
        time.sleep(wait)
        attempt += 1
