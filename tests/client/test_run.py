"""run(): enqueue → the emulator dispatches → a real HTTP receiver sees it."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest

from queuekeeper import (
    OidcToken,
    TaskManager,
    with_delay,
    with_headers,
    with_method,
    with_name,
    with_payload,
)
from queuekeeper.emulator import Emulator
from queuekeeper.errors import InvalidTask, TaskAlreadyExists
from tests.client.conftest import API_KEY, queue_path
from tests.emulator.target import Target


def test_a_json_payload_arrives_as_json_with_the_api_key_and_dispatch_headers(
    tm: TaskManager, target: Target, queue: str
) -> None:
    result = tm.run(queue, "/api/webhooks/send-welcome-email", payload={"user": 1})

    [seen] = target.wait_for(1)
    assert seen.method == "POST"
    assert seen.path == "/v1/api/webhooks/send-welcome-email"
    assert json.loads(seen.body) == {"user": 1}
    assert seen.header("Content-Type") == "application/json"
    assert seen.header("X-API-Key") == API_KEY
    assert seen.header("X-CloudTasks-QueueName") == queue
    assert seen.header("X-CloudTasks-TaskName") == result.task_id
    assert seen.header("X-CloudTasks-TaskRetryCount") == "0"
    assert seen.header("User-Agent") == "Google-Cloud-Tasks"


def test_the_result_names_the_task_queue_url_and_schedule(
    tm: TaskManager, target: Target, queue: str
) -> None:
    before = datetime.now(timezone.utc) - timedelta(seconds=1)
    result = tm.run(queue, "/x?page=2")

    assert result.name.startswith(queue_path(queue) + "/tasks/")
    assert result.queue == queue
    assert result.url == target.base + "/v1/x?page=2"
    assert result.method == "POST"
    assert result.schedule_time is not None and result.schedule_time >= before
    assert result.attempts == 2  # NOT_FOUND, auto-create, then the task


@pytest.mark.parametrize(
    ("payload", "body", "content_type"),
    [
        ("héllo", "héllo".encode(), "text/plain; charset=utf-8"),
        (b"\x00\x01raw", b"\x00\x01raw", "application/octet-stream"),
        ([1, "two", None], b'[1,"two",null]', "application/json"),
    ],
)
def test_text_bytes_and_data_payloads_arrive_as_sent(
    tm: TaskManager,
    target: Target,
    queue: str,
    payload: object,
    body: bytes,
    content_type: str,
) -> None:
    tm.run(queue, "/p", payload=payload)

    [seen] = target.wait_for(1)
    assert seen.body == body
    assert seen.header("Content-Type") == content_type


def test_the_callers_content_type_wins_over_the_default(
    tm: TaskManager, target: Target, queue: str
) -> None:
    tm.run(queue, "/p", payload="<a/>", headers={"content-type": "application/xml"})

    [seen] = target.wait_for(1)
    assert seen.header("Content-Type") == "application/xml"


@pytest.mark.parametrize("method", ["PUT", "PATCH", "DELETE", "GET", "HEAD", "OPTIONS"])
def test_every_method_of_the_api_is_sent_as_given(
    tm: TaskManager, target: Target, queue: str, method: str
) -> None:
    payload = {"a": 1} if method in ("PUT", "PATCH") else None
    tm.run(queue, "/m", method=method.lower(), payload=payload)

    [seen] = target.wait_for(1)
    assert seen.method == method


def test_a_base_url_keeps_its_own_path(
    cloud_tasks_emulator: Emulator, target: Target, queue: str
) -> None:
    with TaskManager(
        project="client-tests",
        location="europe-west1",
        base_url=target.base + "/api/v1/",
    ) as manager:
        manager.run(queue, "hooks/a")
        manager.run(queue, "/hooks/b")
        manager.run(queue, "")

    paths = sorted(seen.path for seen in target.wait_for(3))
    assert paths == ["/api/v1/", "/api/v1/hooks/a", "/api/v1/hooks/b"]


def test_without_an_auth_key_no_x_api_key_is_sent(
    cloud_tasks_emulator: Emulator, target: Target, queue: str
) -> None:
    with TaskManager(
        project="client-tests", location="europe-west1", base_url=target.base
    ) as manager:
        manager.run(queue, "/p")

    [seen] = target.wait_for(1)
    assert seen.header("X-API-Key") is None


def test_a_delay_schedules_the_task_that_far_ahead(tm: TaskManager, queue: str) -> None:
    before = datetime.now(timezone.utc)
    result = tm.run(queue, "/later", delay=timedelta(minutes=5))

    assert result.schedule_time is not None
    ahead = result.schedule_time - before
    assert timedelta(minutes=5) <= ahead < timedelta(minutes=5, seconds=5)


def test_a_schedule_time_in_another_zone_is_kept_as_the_same_instant(
    tm: TaskManager, queue: str
) -> None:
    zone = timezone(timedelta(hours=-7))
    when = datetime.now(zone).replace(microsecond=0) + timedelta(days=2)

    result = tm.run(queue, "/later", schedule_time=when)

    assert result.schedule_time == when


def test_a_named_task_is_refused_the_second_time_as_a_duplicate(
    tm: TaskManager, target: Target, queue: str
) -> None:
    first = tm.run(queue, "/once", name="order-42-confirmation")

    with pytest.raises(TaskAlreadyExists) as raised:
        tm.run(queue, "/once", name="order-42-confirmation")

    assert raised.value.task == first.name
    assert len(target.wait_for(1)) == 1


def test_an_oidc_token_reaches_the_receiver_with_the_url_as_audience(
    tm: TaskManager, target: Target, queue: str
) -> None:
    tm.run(queue, "/secure?x=1", oidc_token="tasks@client-tests.iam.example")

    [seen] = target.wait_for(1)
    token = seen.header("Authorization") or ""
    assert token.startswith("Bearer ")
    claims = _jwt_claims(token.removeprefix("Bearer "))
    assert claims["aud"] == target.base + "/v1/secure"
    assert claims["email"] == "tasks@client-tests.iam.example"


def test_an_explicit_audience_is_kept(
    tm: TaskManager, target: Target, queue: str
) -> None:
    token = OidcToken("tasks@client-tests.iam.example", audience="my-service")
    tm.run(queue, "/secure", oidc_token=token)

    [seen] = target.wait_for(1)
    bearer = (seen.header("Authorization") or "").removeprefix("Bearer ")
    assert _jwt_claims(bearer)["aud"] == "my-service"


def test_options_compose_and_apply_in_order(
    tm: TaskManager, target: Target, queue: str
) -> None:
    preset = with_method("PUT") + with_headers({"X-Source": "preset"})

    tm.run(queue, "/o", preset, with_method("PATCH"), with_payload({"n": 1}))

    [seen] = target.wait_for(1)
    assert (seen.method, seen.header("X-Source")) == ("PATCH", "preset")


def test_keyword_arguments_win_over_options(
    tm: TaskManager, target: Target, queue: str
) -> None:
    tm.run(queue, "/o", with_method("PUT"), with_payload("opt"), payload="kw")

    [seen] = target.wait_for(1)
    assert (seen.method, seen.body) == ("PUT", b"kw")


def test_a_keyword_schedule_time_replaces_an_options_delay(
    tm: TaskManager, queue: str
) -> None:
    when = datetime.now(timezone.utc).replace(microsecond=0) + timedelta(hours=1)

    result = tm.run(queue, "/o", with_delay(timedelta(days=3)), schedule_time=when)

    assert result.schedule_time == when


def test_delay_and_schedule_time_together_as_keywords_are_refused(
    tm: TaskManager, queue: str
) -> None:
    with pytest.raises(InvalidTask, match="delay and schedule_time"):
        tm.run(queue, "/o", delay=60, schedule_time=datetime.now(timezone.utc))


def test_a_reused_option_makes_the_same_task_each_time(
    tm: TaskManager, target: Target, queue: str
) -> None:
    preset = with_payload({"kind": "reminder"}) + with_method("PUT")

    tm.run(queue, "/r", preset)
    tm.run(queue, "/r", preset, with_name("second"))

    bodies = {(s.method, s.body) for s in target.wait_for(2)}
    assert bodies == {("PUT", b'{"kind":"reminder"}')}


def test_a_full_queue_path_may_be_given_instead_of_an_id(
    tm: TaskManager, target: Target, queue: str
) -> None:
    result = tm.run(queue_path(queue), "/p")

    assert result.queue == queue
    assert target.wait_for(1)


def _jwt_claims(token: str) -> dict[str, object]:
    import base64

    payload = token.split(".")[1]
    decoded = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    claims: dict[str, object] = json.loads(decoded)
    return claims


def test_an_option_keeps_the_payload_as_it_was_when_made(
    tm: TaskManager, target: Target, queue: str
) -> None:
    data = {"step": 1}
    option = with_payload(data)
    data["step"] = 2

    tm.run(queue, "/o", option)

    [seen] = target.wait_for(1)
    assert json.loads(seen.body) == {"step": 1}


def test_a_none_payload_option_removes_an_earlier_payload(
    tm: TaskManager, target: Target, queue: str
) -> None:
    preset = with_payload({"a": 1}) + with_method("PUT")

    tm.run(queue, "/o", preset, with_method("GET"), with_payload(None))

    [seen] = target.wait_for(1)
    assert (seen.method, seen.body, seen.header("Content-Type")) == ("GET", b"", None)
