"""From documents to queue specs: units, defaults, merging and checks."""

from __future__ import annotations

import pytest

from queuekeeper.fields import NANOS_PER_SECOND, State
from queuekeeper.manifest import QueueKey
from tests.unit.helpers import parse


@pytest.mark.parametrize(
    ("written", "per_second"),
    [
        ("50", 50.0),
        ("0.5", 0.5),
        ("30/s", 30.0),
        ("1/m", 1 / 60),
        ("10/h", 10 / 3600),
        ("1/d", 1 / 86400),
        ("2.5/s", 2.5),
    ],
)
def test_rates_are_read_in_dispatches_per_second(
    written: str, per_second: float
) -> None:
    rate = f"{{max_dispatches_per_second: {written}}}"
    specs, problems = parse(f"queues:\n  - name: q\n    rate_limits: {rate}\n")
    assert problems == []
    value = specs[0].settings["rate_limits.max_dispatches_per_second"]
    assert value == pytest.approx(per_second, rel=1e-12)


@pytest.mark.parametrize(
    ("written", "nanos"),
    [
        ("0.1s", NANOS_PER_SECOND // 10),
        ("10m", 600 * NANOS_PER_SECOND),
        ("12h", 43200 * NANOS_PER_SECOND),
        ("2d", 172800 * NANOS_PER_SECOND),
        ("250ms", NANOS_PER_SECOND // 4),
        ("1m30s", 90 * NANOS_PER_SECOND),
        ("0s", 0),
    ],
)
def test_durations_are_exact_nanoseconds(written: str, nanos: int) -> None:
    specs, problems = parse(
        f"queues:\n  - name: q\n    retry_config: {{max_retry_duration: {written}}}\n"
    )
    assert problems == []
    assert specs[0].settings["retry_config.max_retry_duration"] == nanos


def test_a_rate_of_zero_is_rejected() -> None:
    _, problems = parse(
        "queues:\n  - name: q\n    rate_limits: {max_dispatches_per_second: 0/s}\n"
    )
    assert problems and "more than zero" in problems[0].message


def test_unlimited_attempts_is_minus_one() -> None:
    specs, _ = parse(
        "queues:\n  - name: q\n    retry_config: {max_attempts: unlimited}\n"
    )
    assert specs[0].settings["retry_config.max_attempts"] == -1


def test_zero_attempts_is_rejected_with_the_alternatives() -> None:
    _, problems = parse("queues:\n  - name: q\n    retry_config: {max_attempts: 0}\n")
    assert problems and "unlimited" in problems[0].message


def test_explicit_zeros_are_values() -> None:
    specs, problems = parse(
        """
        queues:
          - name: q
            retry_config: {max_doublings: 0, min_backoff: 0s}
            stackdriver_logging_config: {sampling_ratio: 0}
        """
    )
    assert problems == []
    settings = specs[0].settings
    assert settings["retry_config.max_doublings"] == 0
    assert settings["retry_config.min_backoff"] == 0
    assert settings["stackdriver_logging_config.sampling_ratio"] == 0.0


def test_defaults_fill_every_queue_and_the_queue_wins() -> None:
    specs, problems = parse(
        """
        defaults:
          rate_limits: {max_dispatches_per_second: 5, max_concurrent_dispatches: 3}
          state: paused
        queues:
          - name: a
          - name: b
            rate_limits: {max_dispatches_per_second: 9}
            state: running
        """
    )
    assert problems == []
    a, b = specs
    assert a.settings["rate_limits.max_dispatches_per_second"] == 5.0
    assert b.settings["rate_limits.max_dispatches_per_second"] == 9.0
    assert b.settings["rate_limits.max_concurrent_dispatches"] == 3
    assert (a.state, b.state) == (State.PAUSED, State.RUNNING)


def test_undeclared_fields_are_not_in_the_spec() -> None:
    specs, _ = parse("queues:\n  - name: q\n")
    assert dict(specs[0].settings) == {}
    assert specs[0].state is None


def test_a_queue_token_replaces_the_default_token_of_the_other_kind() -> None:
    specs, problems = parse(
        """
        defaults:
          http_target:
            oauth_token: {service_account_email: a@x.iam, scope: s}
        queues:
          - name: q
            http_target:
              oidc_token: {service_account_email: b@x.iam, audience: https://a}
        """
    )
    assert problems == []
    assert "http_target.oauth_token" not in specs[0].settings
    assert "http_target.oidc_token" in specs[0].settings


def test_both_tokens_on_one_queue_are_rejected() -> None:
    _, problems = parse(
        """
        queues:
          - name: q
            http_target:
              oauth_token: {service_account_email: a@x.iam, scope: s}
              oidc_token: {service_account_email: b@x.iam, audience: https://a}
        """
    )
    assert problems and "oidc_token" in problems[0].message


def test_the_queue_may_override_project_and_location() -> None:
    specs, _ = parse(
        "queues:\n  - name: q\n    project: other\n    location: us-east1\n"
    )
    assert specs[0].key == QueueKey("other", "us-east1", "q")


def test_min_backoff_from_defaults_is_checked_against_the_queue_max() -> None:
    _, problems = parse(
        """
        defaults:
          retry_config: {min_backoff: 1h}
        queues:
          - name: q
            retry_config: {max_backoff: 1m}
        """
    )
    assert len(problems) == 1
    assert "min_backoff (1h) is greater than max_backoff (1m)" in problems[0].message


def test_every_problem_in_a_file_is_reported_not_just_the_first() -> None:
    _, problems = parse(
        """
        queues:
          - name: bad_name
          - name: ok
            rate_limits: {max_concurrent_dispatches: 9000}
            retry_config: {max_backoff: 10}
          - name: ok
        """
    )
    assert len(problems) == 4
    assert sorted(p.line for p in problems) == [6, 8, 9, 10]


def test_an_unknown_key_suggests_the_closest_one() -> None:
    _, problems = parse("queues:\n  - name: q\n    retry_confg: {}\n")
    assert problems[0].hint == "did you mean 'retry_config'?"


def test_a_missing_name_is_reported() -> None:
    _, problems = parse("queues:\n  - rate_limits: {}\n")
    assert "missing required key 'name'" in problems[0].message


def test_an_undefined_variable_is_reported_once() -> None:
    _, problems = parse("queues:\n  - name: ${QNAME}\n")
    assert len(problems) == 1
    assert "QNAME" in problems[0].message
