"""Retrying one call with exponential backoff, counting the attempts.

The call is a flow (:mod:`queuekeeper.client.flow`) that receives its
attempt number (0 for the first), so it can tell an answer to its own
earlier attempt (ALREADY_EXISTS after a lost reply) from a real conflict.
The waits are :class:`~queuekeeper.client.flow.Sleep` steps, so the same
rule serves the synchronous and the asynchronous TaskManager.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from queuekeeper.client.flow import Flow, Sleep
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


def retrying(
    policy: RetryPolicy,
    what: str,
    attempt: Callable[[int], Flow[T]],
    *,
    retry_on: tuple[type[QueuekeeperError], ...] = (TransientError,),
) -> Flow[tuple[T, int]]:
    """``attempt``'s result and the attempts made; the last error if none
    worked."""
    give_up = time.monotonic() + policy.deadline
    number = 0
    while True:
        try:
            return (yield from attempt(number)), number + 1
        except retry_on as exc:
            wait = policy.delay(number)
            if time.monotonic() + wait > give_up:
                raise
            log.warning(
                "%s failed (%s); retry %d in %.2f s", what, exc, number + 1, wait
            )
        yield Sleep(wait)
        number += 1
