"""GetQueue and ListQueues: not found, paging, ordering, parent match, filter."""

from __future__ import annotations

import pytest
from google.api_core import exceptions
from google.cloud import tasks_v2

from queuekeeper.emulator import listing
from tests.emulator.conftest import PARENT, CreateQueue, queue_name

QUEUE_NOT_FOUND = (
    "Queue does not exist. If you just created the queue, wait at least a minute "
    "for the queue to initialize."
)


def list_page(
    client: tasks_v2.CloudTasksClient, **request: object
) -> tasks_v2.ListQueuesResponse:
    """One raw ListQueues page, bypassing the client's automatic paging."""
    pager = client.list_queues(request={"parent": PARENT, **request})
    return next(iter(pager.pages))


def test_getting_a_missing_queue_is_not_found_with_the_real_message(
    client: tasks_v2.CloudTasksClient,
) -> None:
    with pytest.raises(exceptions.NotFound) as caught:
        client.get_queue(name=queue_name("missing"))
    assert caught.value.message == QUEUE_NOT_FOUND


def test_queues_are_listed_in_name_order_across_pages_of_ten(
    client: tasks_v2.CloudTasksClient, create: CreateQueue
) -> None:
    ids = [f"q-{n:02d}" for n in range(25)]
    for queue_id in reversed(ids):
        create(queue_id)

    first = list_page(client, page_size=10)
    second = list_page(client, page_size=10, page_token=first.next_page_token)
    third = list_page(client, page_size=10, page_token=second.next_page_token)

    pages = [first, second, third]
    assert [len(page.queues) for page in pages] == [10, 10, 5]
    assert third.next_page_token == ""
    listed = [queue.name for page in pages for queue in page.queues]
    assert listed == [queue_name(queue_id) for queue_id in ids]


def test_the_client_pager_follows_page_tokens_to_the_end(
    client: tasks_v2.CloudTasksClient, create: CreateQueue
) -> None:
    for n in range(25):
        create(f"q{n}")

    pager = client.list_queues(request={"parent": PARENT, "page_size": 10})

    assert len(list(pager)) == 25


def test_only_queues_of_exactly_the_given_parent_are_listed(
    client: tasks_v2.CloudTasksClient, create: CreateQueue
) -> None:
    create("mine")
    for parent in (f"{PARENT}2", "projects/p2/locations/us-central1"):
        client.create_queue(
            parent=parent, queue=tasks_v2.Queue(name=queue_name("other", parent))
        )

    names = [queue.name for queue in client.list_queues(parent=PARENT)]

    assert names == [queue_name("mine")]


def test_an_empty_listing_has_no_queues_and_no_token(
    client: tasks_v2.CloudTasksClient,
) -> None:
    page = list_page(client)

    assert list(page.queues) == []
    assert page.next_page_token == ""


@pytest.mark.parametrize(
    "filter_text", ["state: PAUSED", "state:PAUSED", "state = PAUSED"]
)
def test_a_state_filter_lists_only_queues_in_that_state(
    client: tasks_v2.CloudTasksClient, create: CreateQueue, filter_text: str
) -> None:
    for queue_id in ("a", "b", "c"):
        create(queue_id)
    client.pause_queue(name=queue_name("b"))

    listed = client.list_queues(request={"parent": PARENT, "filter": filter_text})

    assert [queue.name for queue in listed] == [queue_name("b")]


def test_a_running_filter_pages_through_running_queues_only(
    client: tasks_v2.CloudTasksClient, create: CreateQueue
) -> None:
    for n in range(6):
        create(f"q{n}")
        if n % 2:
            client.pause_queue(name=queue_name(f"q{n}"))

    request = {"parent": PARENT, "filter": "state:RUNNING", "page_size": 2}
    listed = client.list_queues(request=request)

    assert [queue.name for queue in listed] == [
        queue_name(queue_id) for queue_id in ("q0", "q2", "q4")
    ]


@pytest.mark.parametrize("filter_text", ["name: q1", "state: SLEEPING", "state"])
def test_an_unsupported_filter_is_invalid_argument(
    client: tasks_v2.CloudTasksClient, filter_text: str
) -> None:
    with pytest.raises(exceptions.InvalidArgument, match="Invalid filter"):
        list_page(client, filter=filter_text)


def test_changing_the_filter_mid_iteration_is_invalid_argument(
    client: tasks_v2.CloudTasksClient, create: CreateQueue
) -> None:
    for n in range(3):
        create(f"q{n}")
    first = list_page(client, page_size=1)

    with pytest.raises(exceptions.InvalidArgument, match="page_token"):
        list_page(
            client, page_size=1, page_token=first.next_page_token, filter="state:PAUSED"
        )


def test_a_forged_page_token_is_invalid_argument(
    client: tasks_v2.CloudTasksClient,
) -> None:
    with pytest.raises(exceptions.InvalidArgument, match="Invalid page_token"):
        list_page(client, page_token="not-a-token")


def test_a_negative_page_size_is_invalid_argument(
    client: tasks_v2.CloudTasksClient,
) -> None:
    with pytest.raises(exceptions.InvalidArgument, match="page_size"):
        list_page(client, page_size=-1)


def test_a_page_size_above_9800_is_clamped_not_refused(
    client: tasks_v2.CloudTasksClient, create: CreateQueue
) -> None:
    create("q1")

    page = list_page(client, page_size=20_000)

    assert [queue.name for queue in page.queues] == [queue_name("q1")]


def test_listing_a_malformed_parent_is_invalid_argument(
    client: tasks_v2.CloudTasksClient,
) -> None:
    with pytest.raises(exceptions.InvalidArgument):
        list(client.list_queues(parent="projects/p1/queues"))


def test_a_thousand_queues_come_back_in_one_default_page(
    client: tasks_v2.CloudTasksClient, create: CreateQueue
) -> None:
    for n in range(1000):
        create(f"q{n:04d}")

    page = list_page(client)

    assert len(page.queues) == 1000
    assert page.next_page_token == ""
    assert page.queues[999].rate_limits.max_burst_size == 100


def test_page_sizes_are_clamped_to_9800_and_zero_means_the_maximum() -> None:
    # 9,801 queues through the client would take seconds; the rule is checked
    # directly, and the test above shows a large size is not refused.
    assert listing.page_size(20_000) == listing.MAX_PAGE_SIZE == 9800
    assert listing.page_size(0) == 9800
    assert listing.page_size(7) == 7
