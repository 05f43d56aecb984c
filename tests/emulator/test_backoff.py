"""Retry timing as pure functions: the documented backoff, Retry-After, giving up."""

from __future__ import annotations

from email.utils import formatdate

import pytest

from queuekeeper.emulator.backoff import RetryPolicy, retry_after, retry_delay

NOW = 1_800_000_000.0


def test_the_documented_example_doubles_three_times_then_grows_linearly() -> None:
    # The documented example (facts: retries): min 10 s, max 300 s, max_doublings 3.
    delays = [retry_delay(n, 10, 300, 3) for n in range(1, 9)]

    assert delays == [10, 20, 40, 80, 160, 240, 300, 300]


def test_zero_doublings_grow_linearly_from_the_start() -> None:
    assert [retry_delay(n, 5, 100, 0) for n in range(1, 5)] == [5, 10, 15, 20]


def test_the_defaults_double_sixteen_times_up_to_an_hour() -> None:
    policy = RetryPolicy()

    assert policy.delay(1) == pytest.approx(0.1)
    assert policy.delay(2) == pytest.approx(0.2)
    assert policy.delay(16) == pytest.approx(3276.8)
    assert policy.delay(17) == 3600
    assert policy.delay(10_000) == 3600


def test_retry_after_reads_seconds_and_http_dates() -> None:
    assert retry_after("120", NOW) == 120
    assert retry_after(formatdate(NOW + 90, usegmt=True), NOW) == 90
    assert retry_after(formatdate(NOW - 90, usegmt=True), NOW) == 0


@pytest.mark.parametrize("value", [None, "", "soon", "-5", "1.5"])
def test_retry_after_ignores_what_it_cannot_read(value: str | None) -> None:
    assert retry_after(value, NOW) is None


@pytest.mark.parametrize(
    ("max_attempts", "duration", "attempts", "elapsed", "gives_up"),
    [
        (3, 0, 2, 0, False),
        (3, 0, 3, 0, True),  # zero duration: the count alone decides
        (3, 600, 3, 599, False),  # both limits must be reached
        (3, 600, 3, 600, True),
        (3, 600, 9, 700, True),
        (-1, 0, 1000, 10**6, False),  # unlimited attempts never give up
        (-1, 600, 1000, 10**6, False),
    ],
)
def test_a_task_gives_up_only_when_attempts_and_duration_are_both_reached(
    max_attempts: int, duration: float, attempts: int, elapsed: float, gives_up: bool
) -> None:
    policy = RetryPolicy(max_attempts=max_attempts, max_retry_duration=duration)

    assert policy.gives_up(attempts, NOW, NOW + elapsed) is gives_up
