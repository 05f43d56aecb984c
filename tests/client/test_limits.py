"""Every limit Cloud Tasks enforces is checked before the call, by name.

Refusals are proven to happen before any call by the emulator's counters;
the values just inside each limit are sent and the emulator takes them.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from queuekeeper import OAuthToken, TaskManager
from queuekeeper.emulator import Emulator
from queuekeeper.errors import InvalidTask
from tests.client.conftest import MakeManager
from tests.emulator.target import Target

SOON = datetime.now(timezone.utc)
LONG_ID = "x" * 501

REFUSED: list[tuple[str, str, dict[str, Any], str]] = [
    (
        "delay over 30 days",
        "/p",
        {"delay": timedelta(days=30, minutes=1)},
        "schedule at most 30 days ahead",
    ),
    (
        "schedule over 30 days",
        "/p",
        {"schedule_time": SOON + timedelta(days=31)},
        "schedule at most 30 days ahead",
    ),
    ("negative delay", "/p", {"delay": -1}, "delay"),
    (
        "naive schedule time",
        "/p",
        {"schedule_time": datetime(2030, 1, 1)},
        "schedule_time",
    ),
    (
        "deadline under 15 s",
        "/p",
        {"dispatch_deadline": 14.999},
        "dispatch deadline 15 s to 30 min",
    ),
    (
        "deadline over 30 min",
        "/p",
        {"dispatch_deadline": timedelta(minutes=30, seconds=1)},
        "dispatch deadline 15 s to 30 min",
    ),
    ("task id with a dot", "/p", {"name": "order.42"}, "task id"),
    ("task id too long", "/p", {"name": LONG_ID}, "task id"),
    ("empty task id", "/p", {"name": ""}, "task id"),
    (
        "full task name",
        "/p",
        {"name": "projects/p/locations/l/queues/q/tasks/t"},
        "task id",
    ),
    ("payload over 1 MiB", "/p", {"payload": b"x" * 1024 * 1024}, "task size"),
    ("Host header", "/p", {"headers": {"Host": "evil"}}, "reserved header"),
    (
        "Content-Length header",
        "/p",
        {"headers": {"Content-Length": "1"}},
        "reserved header",
    ),
    ("X-Google header", "/p", {"headers": {"X-Google-Thing": "1"}}, "reserved header"),
    (
        "X-AppEngine header",
        "/p",
        {"headers": {"X-AppEngine-Country": "DE"}},
        "reserved header",
    ),
    (
        "X-CloudTasks header",
        "/p",
        {"headers": {"X-CloudTasks-TaskName": "t"}},
        "reserved header",
    ),
    (
        "User-Agent header",
        "/p",
        {"headers": {"User-Agent": "mine/1.0"}},
        "reserved header",
    ),
    ("bad header name", "/p", {"headers": {"Bad Header": "1"}}, "header name"),
    (
        "header value with a line break",
        "/p",
        {"headers": {"X-A": "1\r\nX-B: 2"}},
        "header value",
    ),
    ("a header twice", "/p", {"headers": {"X-A": "1", "x-a": "2"}}, "headers"),
    ("X-API-Key beside auth_key", "/p", {"headers": {"X-API-Key": "other"}}, "headers"),
    (
        "Authorization beside a token",
        "/p",
        {"headers": {"Authorization": "Bearer x"}, "oidc_token": "sa@example.com"},
        "headers",
    ),
    ("headers of 80 KB", "/p", {"headers": {"X-Big": "v" * 80 * 1024}}, "header size"),
    ("url over 2083 characters", "/" + "a" * 2100, {}, "url length"),
    ("body with GET", "/p", {"method": "GET", "payload": "x"}, "body with GET"),
    ("body with HEAD", "/p", {"method": "HEAD", "payload": "x"}, "body with HEAD"),
    ("body with DELETE", "/p", {"method": "DELETE", "payload": {}}, "body with DELETE"),
    (
        "body with OPTIONS",
        "/p",
        {"method": "OPTIONS", "payload": b"x"},
        "body with OPTIONS",
    ),
    ("unknown method", "/p", {"method": "FETCH"}, "method"),
    ("a URL as path", "https://elsewhere.example/x", {}, "path"),
    ("a fragment in the path", "/p#top", {}, "path"),
    ("a space in the path", "/my path", {}, "path"),
    ("data that is not JSON", "/p", {"payload": {"when": object()}}, "payload"),
    ("NaN in data", "/p", {"payload": {"x": math.nan}}, "payload"),
    (
        "both kinds of token",
        "/p",
        {"oidc_token": "sa@example.com", "oauth_token": OAuthToken("sa@example.com")},
        "oidc_token and oauth_token",
    ),
    ("a token without an account", "/p", {"oidc_token": ""}, "token"),
]


@pytest.mark.parametrize(
    ("path", "keywords", "limit"),
    [case[1:] for case in REFUSED],
    ids=[case[0] for case in REFUSED],
)
def test_a_task_beyond_a_limit_is_refused_before_any_call(
    own_tm: TaskManager,
    own_emulator: Emulator,
    path: str,
    keywords: dict[str, Any],
    limit: str,
) -> None:
    with pytest.raises(InvalidTask) as raised:
        own_tm.run("limits", path, **keywords)

    assert raised.value.limit == limit
    assert own_emulator.call_counts == {}


def test_a_bad_queue_name_is_refused_before_any_call(
    own_tm: TaskManager, own_emulator: Emulator
) -> None:
    with pytest.raises(InvalidTask) as raised:
        own_tm.run("no_underscores_allowed", "/p")

    assert raised.value.limit == "queue name"
    assert own_emulator.call_counts == {}


def test_header_refusals_never_repeat_the_value(own_tm: TaskManager) -> None:
    with pytest.raises(InvalidTask) as raised:
        own_tm.run("limits", "/p", headers={"X-Token": "hunter2\nX-Evil: 1"})

    assert "hunter2" not in str(raised.value)


ACCEPTED: list[tuple[str, dict[str, Any]]] = [
    ("a deadline of 15 s", {"dispatch_deadline": 15}),
    ("a deadline of 30 min", {"dispatch_deadline": timedelta(minutes=30)}),
    (
        "a delay of 30 days less a minute",
        {"delay": timedelta(days=30) - timedelta(minutes=1)},
    ),
    ("a schedule time in the past", {"schedule_time": SOON - timedelta(days=1)}),
    ("a task id of 500 characters", {"name": "a-_9" * 125}),
    ("a zero delay", {"delay": 0}),
]


@pytest.mark.parametrize(
    "keywords", [case[1] for case in ACCEPTED], ids=[case[0] for case in ACCEPTED]
)
def test_values_at_the_edge_of_a_limit_are_taken_by_the_service(
    own_tm: TaskManager, own_emulator: Emulator, keywords: dict[str, Any]
) -> None:
    own_tm.run("edges", "/p", **keywords)

    assert own_emulator.call_counts["CreateTask"] == 2  # NOT_FOUND, then taken


def test_a_url_of_exactly_2083_characters_is_taken(
    own_tm: TaskManager, own_emulator: Emulator, target: Target
) -> None:
    base = target.base + "/v1/"
    url = own_tm.run("edges", "a" * (2083 - len(base))).url

    assert len(url) == 2083
    with pytest.raises(InvalidTask, match="url length"):
        own_tm.run("edges", "a" * (2084 - len(base)))


def test_the_largest_payload_the_client_takes_the_emulator_takes_too(
    own_emulator: Emulator, make_manager: MakeManager
) -> None:
    recorder = make_manager(test_mode=True)
    low, high = 1024 * 1024 - 4096, 1024 * 1024
    while high - low > 1:  # the largest body the client's check lets through
        size = (low + high) // 2
        try:
            recorder.run("edges", "/p", payload=b"x" * size)
            low = size
        except InvalidTask:
            high = size
    sender = make_manager(emulator_host=own_emulator.address)

    sender.run("edges", "/p", payload=b"x" * low)
    with pytest.raises(InvalidTask, match="task size"):
        sender.run("edges", "/p", payload=b"x" * (low + 1))
    assert 1024 * 1024 - low < 512  # and the check leaves little unused
