"""A recorded task becomes the request Cloud Tasks would send, and a WSGI
or ASGI application is called with it as a server would call it."""

from __future__ import annotations

import asyncio
import io
import json
import sys
from collections.abc import Iterable, Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from queuekeeper import TaskManager
from queuekeeper.client import RecordedTask
from queuekeeper.client.delivery import (
    TaskHttpRequest,
    asgi_scope,
    request_for,
    wsgi_environ,
)
from queuekeeper.client.inprocess import (
    Receive,
    Send,
    StartResponse,
    call_asgi,
    call_wsgi,
)
from queuekeeper.fields import REDACTED
from queuekeeper.webhook import headers_from_environ, parse_task_headers
from queuekeeper.webhook.apikey import api_key_matches
from tests.client.webapps import AsgiWorker, WsgiWorker

KEY = "k3y-delivery-secret"
NOW = datetime(2030, 1, 2, 3, 4, 5, 678901, tzinfo=timezone.utc)


@pytest.fixture
def tm() -> Iterator[TaskManager]:
    with TaskManager(
        project="p",
        location="us-central1",
        base_url="https://worker.example.com:8443/v1",
        auth_key=KEY,
        test_mode=True,
    ) as manager:
        yield manager


def recorded(tm: TaskManager, path: str = "/hook", **options: Any) -> RecordedTask:
    tm.run("emails", path, **options)
    return tm.outbox[-1]


def test_the_request_carries_what_cloud_tasks_adds_to_a_first_attempt(
    tm: TaskManager,
) -> None:
    task = recorded(tm, payload={"user_id": "123"}, headers={"X-Trace": "t-1"})

    request = request_for(task, auth_key=KEY, now=NOW)

    headers = dict(request.headers)
    assert headers == {
        "X-Trace": "t-1",
        "Content-Type": "application/json",
        "X-API-Key": KEY,
        "Host": "worker.example.com:8443",
        "User-Agent": "Google-Cloud-Tasks",
        "X-CloudTasks-QueueName": "emails",
        "X-CloudTasks-TaskName": task.task_id,
        "X-CloudTasks-TaskRetryCount": "0",
        "X-CloudTasks-TaskExecutionCount": "0",
        "X-CloudTasks-TaskETA": "1893553445.678901",
        "Content-Length": str(len(b'{"user_id":"123"}')),
    }
    assert (request.method, request.scheme) == ("POST", "https")
    assert (request.path, request.query) == ("/v1/hook", "")
    assert request.body == b'{"user_id":"123"}'


def test_the_eta_is_the_schedule_time_when_the_task_has_one(tm: TaskManager) -> None:
    task = recorded(tm, delay=timedelta(minutes=5))
    assert task.schedule_time is not None

    request = request_for(task, auth_key=KEY, now=NOW)

    attempt = parse_task_headers(request.headers)
    assert attempt.eta == task.schedule_time
    assert (attempt.retry_count, attempt.execution_count, attempt.is_retry) == (
        0,
        0,
        False,
    )


def test_the_webhook_helpers_accept_the_delivered_headers(tm: TaskManager) -> None:
    task = recorded(tm, name="welcome-1")

    request = request_for(task, auth_key=KEY, now=NOW)

    for headers in (
        request.headers,
        headers_from_environ(wsgi_environ(request)),
        [(k.decode(), v.decode()) for k, v in asgi_scope(request)["headers"]],
    ):
        assert api_key_matches(headers, KEY)
        attempt = parse_task_headers(headers)
        assert (attempt.queue_name, attempt.task_name) == ("emails", "welcome-1")
        assert attempt.eta == NOW


def test_without_an_auth_key_the_redacted_value_is_what_is_sent(
    tm: TaskManager,
) -> None:
    task = recorded(tm)

    request = request_for(task, auth_key=None, now=NOW)

    assert dict(request.headers)["X-API-Key"] == REDACTED


def test_headers_cloud_tasks_sets_itself_replace_a_tasks_own(tm: TaskManager) -> None:
    task = recorded(tm)
    forged = RecordedTask(
        **{
            **vars(task),
            "headers": (
                *task.headers,
                ("user-agent", "curl"),
                ("X-CloudTasks-TaskRetryCount", "7"),
                ("Host", "evil.example"),
            ),
        }
    )

    headers = request_for(forged, auth_key=KEY, now=NOW).headers

    sent = [(k.lower(), v) for k, v in headers]
    assert [v for k, v in sent if k == "user-agent"] == ["Google-Cloud-Tasks"]
    assert [v for k, v in sent if k == "host"] == ["worker.example.com:8443"]
    assert parse_task_headers(headers).retry_count == 0


def test_the_wsgi_environ_follows_pep_3333(tm: TaskManager) -> None:
    task = recorded(tm, "/caf%C3%A9/x?a=1&b=%20", payload="hi")

    environ = wsgi_environ(request_for(task, auth_key=KEY, now=NOW))

    assert environ["REQUEST_METHOD"] == "POST"
    assert environ["SCRIPT_NAME"] == ""
    assert environ["PATH_INFO"] == "/v1/café/x".encode().decode("latin-1")
    assert environ["QUERY_STRING"] == "a=1&b=%20"
    assert (environ["SERVER_NAME"], environ["SERVER_PORT"]) == (
        "worker.example.com",
        "8443",
    )
    assert environ["wsgi.url_scheme"] == "https"
    assert environ["CONTENT_TYPE"] == "text/plain; charset=utf-8"
    assert environ["CONTENT_LENGTH"] == "2"
    assert environ["HTTP_HOST"] == "worker.example.com:8443"
    assert environ["HTTP_X_API_KEY"] == KEY
    assert "HTTP_CONTENT_TYPE" not in environ
    assert environ["wsgi.input"].read() == b"hi"
    assert environ["wsgi.version"] == (1, 0)


def test_the_asgi_scope_is_an_http_connection_scope(tm: TaskManager) -> None:
    task = recorded(tm, "/caf%C3%A9/x?a=1", method="DELETE")

    scope = asgi_scope(request_for(task, auth_key=KEY, now=NOW))

    assert scope["type"] == "http"
    assert scope["asgi"]["version"] == "3.0"
    assert scope["method"] == "DELETE"
    assert scope["path"] == "/v1/café/x"
    assert scope["raw_path"] == b"/v1/caf%C3%A9/x"
    assert scope["query_string"] == b"a=1"
    assert scope["server"] == ("worker.example.com", 8443)
    assert all(name == name.lower() for name, _ in scope["headers"])
    assert (b"x-api-key", KEY.encode()) in scope["headers"]
    assert not any(name == b"content-length" for name, _ in scope["headers"])


def test_a_url_with_characters_outside_ascii_is_sent_encoded(tm: TaskManager) -> None:
    task = recorded(tm, "/café?q=ü")

    request = request_for(task, auth_key=KEY, now=NOW)

    assert (request.path, request.query) == ("/v1/caf%C3%A9", "q=%C3%BC")


def test_a_base_url_without_a_port_uses_the_schemes() -> None:
    with TaskManager(
        project="p", location="us-central1", base_url="http://h", test_mode=True
    ) as plain:
        plain.run("q", "")
        request = request_for(plain.outbox[0], auth_key=None, now=NOW)

    assert (request.server, request.path) == (("h", 80), "/")


def request(tm: TaskManager, **options: Any) -> TaskHttpRequest:
    return request_for(recorded(tm, **options), auth_key=KEY, now=NOW)


def test_a_wsgi_answer_is_read_whole_and_the_iterable_closed(tm: TaskManager) -> None:
    closed: list[bool] = []

    class Body:
        def __iter__(self) -> Iterator[bytes]:
            yield b"a"
            yield b"b"

        def close(self) -> None:
            closed.append(True)

    def app(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        write = start_response("202 Accepted", [("X-One", "1")])
        write(b"<")
        return Body()

    response = call_wsgi(app, request(tm))

    assert (response.status, response.body, response.headers) == (
        202,
        b"<ab",
        (("X-One", "1"),),
    )
    assert response.ok and response.header("x-one") == "1"
    assert closed == [True]


def test_a_wsgi_error_page_replaces_the_status_before_the_body(
    tm: TaskManager,
) -> None:
    def app(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        start_response("200 OK", [])
        try:
            raise ValueError("boom")
        except ValueError:
            start_response("500 Internal Server Error", [], sys.exc_info())  # type: ignore[arg-type]
        return [b"sorry"]

    response = call_wsgi(app, request(tm))

    assert (response.status, response.text, response.ok) == (500, "sorry", False)


def test_an_exception_in_the_application_reaches_the_test(tm: TaskManager) -> None:
    def app(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        raise LookupError("no such user")

    with pytest.raises(LookupError, match="no such user"):
        call_wsgi(app, request(tm))


def test_an_application_that_never_answers_is_reported(tm: TaskManager) -> None:
    def wsgi(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        return []

    async def asgi(scope: Any, receive: Receive, send: Send) -> None:
        pass

    with pytest.raises(RuntimeError, match="start_response"):
        call_wsgi(wsgi, request(tm))
    with pytest.raises(RuntimeError, match=r"http\.response\.start"):
        asyncio.run(call_asgi(asgi, request(tm)))


def test_an_asgi_answer_in_parts_is_joined(tm: TaskManager) -> None:
    worker = AsgiWorker(KEY)

    response = asyncio.run(call_asgi(worker, request(tm, payload=b"\x00\x01")))

    seen = json.loads(response.body)
    assert response.status == 200
    assert response.header("Content-Type") == "application/json"
    assert seen["content_type"] == "application/octet-stream"
    assert seen["retry_count"] == 0 and seen["user_agent"] == "Google-Cloud-Tasks"


def test_a_wsgi_worker_reads_the_body_and_the_attempt(tm: TaskManager) -> None:
    worker = WsgiWorker(KEY)

    response = call_wsgi(worker, request(tm, payload={"a": 1}, name="t-9"))

    seen = json.loads(response.body)
    assert (seen["task"], seen["queue"], seen["body"]) == ("t-9", "emails", '{"a":1}')
    assert isinstance(worker.environs[0]["wsgi.input"], io.BytesIO)
