"""CreateQueue: defaults, output-only fields, burst size, names and ranges."""

from __future__ import annotations

from datetime import timedelta

import pytest
from google.api_core import exceptions
from google.cloud import tasks_v2

from tests.emulator.conftest import PARENT, CreateQueue, queue_name

NAME_FORMAT = (
    'Queue name must be formatted: "projects/<PROJECT_ID>/locations/'
    '<LOCATION_ID>/queues/<QUEUE_ID>".'
)


def test_a_queue_created_with_only_a_name_gets_googles_defaults(
    create: CreateQueue,
) -> None:
    queue = create("q1")

    assert queue.name == queue_name("q1")
    assert queue.state == tasks_v2.Queue.State.RUNNING
    assert queue.rate_limits.max_dispatches_per_second == 500.0
    assert queue.rate_limits.max_concurrent_dispatches == 1000
    assert queue.rate_limits.max_burst_size == 100
    assert queue.retry_config.max_attempts == 100
    assert queue.retry_config.min_backoff == timedelta(milliseconds=100)
    assert queue.retry_config.max_backoff == timedelta(hours=1)
    assert queue.retry_config.max_doublings == 16
    assert "max_retry_duration" not in queue.retry_config
    assert "purge_time" not in queue


def test_given_values_are_kept_and_missing_ones_defaulted(create: CreateQueue) -> None:
    queue = create(
        "q1",
        rate_limits=tasks_v2.RateLimits(max_concurrent_dispatches=4),
        retry_config=tasks_v2.RetryConfig(
            max_attempts=5, min_backoff=timedelta(seconds=1)
        ),
    )

    assert queue.rate_limits.max_concurrent_dispatches == 4
    assert queue.rate_limits.max_dispatches_per_second == 500.0
    assert queue.retry_config.max_attempts == 5
    assert queue.retry_config.min_backoff == timedelta(seconds=1)
    assert queue.retry_config.max_backoff == timedelta(hours=1)


def test_sub_second_backoff_is_kept_as_sent(create: CreateQueue) -> None:
    retry = tasks_v2.RetryConfig(
        min_backoff=timedelta(milliseconds=250), max_backoff=timedelta(seconds=1.5)
    )
    queue = create("q1", retry_config=retry)

    assert queue.retry_config.min_backoff == timedelta(milliseconds=250)
    assert queue.retry_config.max_backoff == timedelta(seconds=1.5)


def test_output_only_fields_sent_by_the_client_are_ignored(
    create: CreateQueue,
) -> None:
    queue = create(
        "q1",
        state=tasks_v2.Queue.State.PAUSED,
        purge_time={"seconds": 1_000_000},
        rate_limits=tasks_v2.RateLimits(max_burst_size=7),
    )

    assert queue.state == tasks_v2.Queue.State.RUNNING
    assert "purge_time" not in queue
    assert queue.rate_limits.max_burst_size == 100


@pytest.mark.parametrize(
    ("rate", "burst"), [(500.0, 100), (100.0, 20), (10.0, 2), (0.5, 1), (7.0, 2)]
)
def test_burst_size_is_derived_from_the_dispatch_rate(
    create: CreateQueue, rate: float, burst: int
) -> None:
    queue = create(
        "q1", rate_limits=tasks_v2.RateLimits(max_dispatches_per_second=rate)
    )

    assert queue.rate_limits.max_burst_size == burst


def test_a_created_queue_can_be_read_back_unchanged(
    client: tasks_v2.CloudTasksClient, create: CreateQueue
) -> None:
    created = create("q1", stackdriver_logging_config={"sampling_ratio": 0.5})

    assert client.get_queue(name=queue_name("q1")) == created


def test_creating_an_existing_queue_is_already_exists(create: CreateQueue) -> None:
    create("q1")

    with pytest.raises(exceptions.AlreadyExists) as caught:
        create("q1")
    assert caught.value.message == "Queue already exists"


@pytest.mark.parametrize(
    "name",
    [
        queue_name("bad_id"),
        queue_name("a" * 101),
        queue_name(""),
        f"{PARENT}/queue/q1",
        "q1",
    ],
    ids=["underscore", "101-chars", "empty-id", "wrong-collection", "bare"],
)
def test_a_malformed_or_foreign_queue_name_is_invalid_argument(
    client: tasks_v2.CloudTasksClient, name: str
) -> None:
    with pytest.raises(exceptions.InvalidArgument) as caught:
        client.create_queue(parent=PARENT, queue=tasks_v2.Queue(name=name))
    assert caught.value.message == NAME_FORMAT


def test_a_queue_name_outside_the_given_parent_is_invalid_argument(
    client: tasks_v2.CloudTasksClient,
) -> None:
    elsewhere = tasks_v2.Queue(name="projects/p1/locations/elsewhere/queues/q1")

    with pytest.raises(exceptions.InvalidArgument, match="must be in parent"):
        client.create_queue(parent=PARENT, queue=elsewhere)


def test_a_hundred_character_queue_id_is_accepted(create: CreateQueue) -> None:
    assert create("a" * 100).name == queue_name("a" * 100)


def test_a_malformed_parent_is_invalid_argument(
    client: tasks_v2.CloudTasksClient,
) -> None:
    with pytest.raises(exceptions.InvalidArgument, match="Parent must be formatted"):
        client.create_queue(
            parent="projects/p1", queue=tasks_v2.Queue(name="projects/p1/queues/q1")
        )


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"rate_limits": {"max_dispatches_per_second": 500.5}}, "max_dispatches"),
        ({"rate_limits": {"max_dispatches_per_second": -1}}, "max_dispatches"),
        ({"rate_limits": {"max_concurrent_dispatches": 5001}}, "max_concurrent"),
        ({"rate_limits": {"max_concurrent_dispatches": -3}}, "max_concurrent"),
        ({"retry_config": {"max_attempts": -2}}, "max_attempts"),
        ({"retry_config": {"max_doublings": -1}}, "max_doublings"),
        ({"retry_config": {"min_backoff": {"seconds": -1}}}, "min_backoff"),
        (
            {"retry_config": {"min_backoff": {"seconds": 10}, "max_backoff": {}}},
            "less than or equal to max_backoff",
        ),
        ({"stackdriver_logging_config": {"sampling_ratio": 1.5}}, "sampling_ratio"),
        ({"http_target": {"uri_override": {"host": ""}}}, "host"),
        (
            {"http_target": {"oidc_token": {"service_account_email": "a@b"}}},
            "oidc_token requires",
        ),
        ({"http_target": {"oauth_token": {"scope": "s"}}}, "oauth_token requires"),
    ],
)
def test_out_of_range_values_are_invalid_argument(
    create: CreateQueue, fields: dict[str, object], message: str
) -> None:
    with pytest.raises(exceptions.InvalidArgument, match=message):
        create("q1", **fields)


def test_the_extremes_of_each_range_are_accepted(create: CreateQueue) -> None:
    queue = create(
        "q1",
        rate_limits={
            "max_dispatches_per_second": 500,
            "max_concurrent_dispatches": 5000,
        },
        retry_config={"max_attempts": -1, "min_backoff": {}, "max_backoff": {}},
        stackdriver_logging_config={"sampling_ratio": 1.0},
    )

    assert queue.rate_limits.max_concurrent_dispatches == 5000
    assert queue.retry_config.max_attempts == -1
    assert queue.retry_config.min_backoff == timedelta(0)
    assert queue.stackdriver_logging_config.sampling_ratio == 1.0


def test_zero_scalars_cannot_be_told_from_unset_and_get_defaults(
    create: CreateQueue,
) -> None:
    queue = create(
        "q1",
        rate_limits={"max_dispatches_per_second": 0, "max_concurrent_dispatches": 0},
        retry_config={"max_attempts": 0, "max_doublings": 0},
    )

    assert queue.rate_limits.max_dispatches_per_second == 500.0
    assert queue.rate_limits.max_concurrent_dispatches == 1000
    assert queue.retry_config.max_attempts == 100
    assert queue.retry_config.max_doublings == 16


def test_a_complete_http_target_is_stored(create: CreateQueue) -> None:
    target = tasks_v2.HttpTarget(
        uri_override={"host": "example.com", "port": 8443, "scheme": "HTTPS"},
        http_method=tasks_v2.HttpMethod.PUT,
        header_overrides=[{"header": {"key": "X-A", "value": "1"}}],
        oidc_token={"service_account_email": "sa@p1.iam", "audience": "aud"},
    )

    queue = create("q1", http_target=target)

    assert queue.http_target == target
