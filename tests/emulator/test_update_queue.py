"""UpdateQueue: masks with nested paths, resets, refusals, upsert."""

from __future__ import annotations

from datetime import timedelta

import pytest
from google.api_core import exceptions
from google.cloud import tasks_v2

from tests.emulator.conftest import CreateQueue, queue_name

Client = tasks_v2.CloudTasksClient


def update(client: Client, mask: list[str] | None, **fields: object) -> tasks_v2.Queue:
    queue = tasks_v2.Queue(name=queue_name("q1"), **fields)
    request: dict[str, object] = {"queue": queue}
    if mask is not None:
        request["update_mask"] = {"paths": mask}
    return client.update_queue(request=request)


@pytest.fixture
def configured(create: CreateQueue) -> tasks_v2.Queue:
    """q1 with every rate and retry field away from its default."""
    return create(
        "q1",
        rate_limits={"max_dispatches_per_second": 10, "max_concurrent_dispatches": 4},
        retry_config={
            "max_attempts": 5,
            "min_backoff": timedelta(seconds=1),
            "max_backoff": timedelta(seconds=60),
            "max_doublings": 3,
        },
    )


def test_a_nested_path_changes_only_that_field(
    client: Client, configured: tasks_v2.Queue
) -> None:
    queue = update(
        client,
        ["rate_limits.max_dispatches_per_second"],
        rate_limits={"max_dispatches_per_second": 20, "max_concurrent_dispatches": 9},
        retry_config={"max_attempts": 9},
    )

    assert queue.rate_limits.max_dispatches_per_second == 20
    assert queue.rate_limits.max_concurrent_dispatches == 4
    assert queue.retry_config == configured.retry_config


def test_any_update_rederives_the_burst_size_from_the_rate(
    client: Client, configured: tasks_v2.Queue
) -> None:
    assert configured.rate_limits.max_burst_size == 2

    queue = update(
        client,
        ["rate_limits.max_dispatches_per_second"],
        rate_limits={"max_dispatches_per_second": 250, "max_burst_size": 7},
    )

    assert queue.rate_limits.max_burst_size == 50


def test_a_top_level_path_replaces_the_whole_message(
    client: Client, configured: tasks_v2.Queue
) -> None:
    queue = update(client, ["retry_config"], retry_config={"max_attempts": 7})

    assert queue.retry_config.max_attempts == 7
    assert queue.retry_config.max_backoff == timedelta(hours=1)
    assert queue.retry_config.max_doublings == 16
    assert queue.rate_limits == configured.rate_limits


def test_a_masked_field_left_empty_resets_to_its_default(
    client: Client, configured: tasks_v2.Queue
) -> None:
    # What `gcloud tasks queues update --clear-max-attempts ...` sends.
    queue = update(
        client,
        ["retry_config.max_attempts", "rate_limits.max_concurrent_dispatches"],
        rate_limits={},
        retry_config={},
    )

    assert queue.retry_config.max_attempts == 100
    assert queue.rate_limits.max_concurrent_dispatches == 1000
    assert queue.retry_config.max_doublings == configured.retry_config.max_doublings


def test_an_empty_mask_updates_all_fields(
    client: Client, configured: tasks_v2.Queue
) -> None:
    queue = update(client, None, rate_limits={"max_concurrent_dispatches": 8})

    assert queue.rate_limits.max_concurrent_dispatches == 8
    assert queue.rate_limits.max_dispatches_per_second == 500
    assert queue.retry_config.max_attempts == 100
    assert queue.retry_config.min_backoff == timedelta(milliseconds=100)


def test_camel_case_paths_from_rest_clients_are_understood(
    client: Client, configured: tasks_v2.Queue
) -> None:
    queue = update(
        client, ["retryConfig.maxDoublings"], retry_config={"max_doublings": 5}
    )

    assert queue.retry_config.max_doublings == 5


def test_http_target_paths_set_the_uri_override_and_oidc_audience(
    client: Client, configured: tasks_v2.Queue
) -> None:
    target = {
        "uri_override": {"host": "example.com", "path_override": {"path": "/p"}},
        "oidc_token": {"service_account_email": "sa@p1.iam", "audience": "a1"},
    }
    update(client, ["http_target"], http_target=target)

    queue = update(
        client,
        ["http_target.oidc_token.audience", "http_target.uri_override"],
        http_target={"oidc_token": {"audience": "a2"}},
    )

    assert queue.http_target.oidc_token.audience == "a2"
    assert queue.http_target.oidc_token.service_account_email == "sa@p1.iam"
    assert "uri_override" not in queue.http_target


def test_the_sampling_ratio_path_sets_logging(
    client: Client, configured: tasks_v2.Queue
) -> None:
    queue = update(
        client,
        ["stackdriver_logging_config.sampling_ratio"],
        stackdriver_logging_config={"sampling_ratio": 0.25},
    )

    assert queue.stackdriver_logging_config.sampling_ratio == 0.25


@pytest.mark.parametrize(
    "path", ["rate_limits.speed", "colour", "rate_limits.max_burst_size.x", ""]
)
def test_an_unknown_path_is_invalid_argument(
    client: Client, configured: tasks_v2.Queue, path: str
) -> None:
    with pytest.raises(exceptions.InvalidArgument, match="Unknown field"):
        update(client, [path])


def test_the_name_is_immutable(client: Client, configured: tasks_v2.Queue) -> None:
    with pytest.raises(exceptions.InvalidArgument, match="immutable"):
        update(client, ["name"])


def test_output_only_paths_are_ignored(
    client: Client, configured: tasks_v2.Queue
) -> None:
    queue = update(
        client,
        ["state", "purge_time", "rate_limits.max_burst_size"],
        state=tasks_v2.Queue.State.PAUSED,
        rate_limits={"max_burst_size": 9},
    )

    assert queue == configured


def test_an_update_keeps_a_paused_queue_paused(
    client: Client, configured: tasks_v2.Queue
) -> None:
    client.pause_queue(name=configured.name)

    queue = update(
        client, ["retry_config.max_attempts"], retry_config={"max_attempts": 2}
    )

    assert queue.state == tasks_v2.Queue.State.PAUSED


def test_the_resulting_queue_is_validated(
    client: Client, configured: tasks_v2.Queue
) -> None:
    with pytest.raises(exceptions.InvalidArgument, match="max_backoff"):
        update(
            client,
            ["retry_config.min_backoff"],
            retry_config={"min_backoff": timedelta(minutes=5)},
        )

    assert client.get_queue(name=configured.name) == configured


def test_updating_a_missing_queue_creates_it_with_defaults(client: Client) -> None:
    queue = update(
        client,
        ["rate_limits.max_concurrent_dispatches"],
        rate_limits={"max_concurrent_dispatches": 3},
        state=tasks_v2.Queue.State.PAUSED,
    )

    assert client.get_queue(name=queue_name("q1")) == queue
    assert queue.state == tasks_v2.Queue.State.RUNNING
    assert queue.rate_limits.max_concurrent_dispatches == 3
    assert queue.rate_limits.max_dispatches_per_second == 500
    assert queue.retry_config.max_attempts == 100


def test_updating_a_malformed_name_is_invalid_argument(client: Client) -> None:
    with pytest.raises(exceptions.InvalidArgument, match="Queue name must be"):
        client.update_queue(queue=tasks_v2.Queue(name="queues/q1"))
