"""The token bucket and the manual clock it is usually read with."""

from __future__ import annotations

import pytest

from queuekeeper.emulator import ManualClock
from queuekeeper.emulator.ratelimit import TokenBucket

NOW = 1_800_000_000.0


def test_a_new_bucket_is_full_and_refills_at_the_rate() -> None:
    bucket = TokenBucket(rate=10, capacity=3, now=NOW)
    for _ in range(3):
        bucket.take(NOW)

    assert bucket.available(NOW) == 0
    assert bucket.next_token_at(NOW) == pytest.approx(NOW + 0.1)
    assert bucket.available(NOW + 0.25) == 2
    assert bucket.available(NOW + 100) == 3  # never above the burst


def test_a_lower_burst_drops_the_extra_tokens() -> None:
    bucket = TokenBucket(rate=10, capacity=10, now=NOW)

    bucket.configure(rate=1, capacity=2, now=NOW)

    assert bucket.available(NOW) == 2
    assert bucket.available(NOW + 0.999) == 2


def test_many_small_clock_steps_add_up_exactly() -> None:
    clock = ManualClock(NOW)
    for _ in range(1000):
        clock.advance(0.1)

    assert clock.now() == NOW + 100


def test_the_manual_clock_wakes_its_listeners_and_cannot_go_back() -> None:
    clock = ManualClock(NOW)
    woken: list[float] = []
    unsubscribe = clock.subscribe(lambda: woken.append(clock.now()))

    clock.advance(5)
    unsubscribe()
    clock.advance(5)

    assert woken == [NOW + 5]
    assert clock.real_seconds_until(NOW + 60) is None
    with pytest.raises(ValueError):
        clock.advance(-1)
