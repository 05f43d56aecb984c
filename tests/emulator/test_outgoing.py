"""The request an attempt sends, as pure functions: URI overrides change only
the declared parts; headers Cloud Tasks owns cannot be overridden."""

from __future__ import annotations

from typing import Any

import pytest
from google.cloud import tasks_v2

from queuekeeper.emulator.outgoing import Auth, build, override_url
from queuekeeper.emulator.taskstore import TaskRow

Mode = tasks_v2.UriOverride.UriOverrideEnforceMode
Scheme = tasks_v2.UriOverride.Scheme
URL = "https://tasks.example.com:8443/v1/run?x=1"


def override(**parts: Any) -> Any:
    return tasks_v2.UriOverride.pb(tasks_v2.UriOverride(**parts))


@pytest.mark.parametrize(
    ("parts", "expected"),
    [
        ({}, URL),
        ({"scheme": Scheme.HTTP}, "http://tasks.example.com:8443/v1/run?x=1"),
        ({"host": "other.test"}, "https://other.test:8443/v1/run?x=1"),
        ({"port": 9000}, "https://tasks.example.com:9000/v1/run?x=1"),
        ({"port": 0}, "https://tasks.example.com/v1/run?x=1"),
        (
            {"path_override": tasks_v2.PathOverride(path="/v2")},
            "https://tasks.example.com:8443/v2?x=1",
        ),
        (
            {"path_override": tasks_v2.PathOverride(path="")},
            "https://tasks.example.com:8443?x=1",
        ),
        (
            {"query_override": tasks_v2.QueryOverride(query_params="")},
            "https://tasks.example.com:8443/v1/run",
        ),
        ({"host": "::1", "port": 80}, "https://[::1]:80/v1/run?x=1"),
    ],
)
def test_always_replaces_exactly_the_declared_parts(
    parts: dict[str, Any], expected: str
) -> None:
    assert override_url(URL, override(**parts)) == expected


def test_if_not_exists_fills_only_missing_parts() -> None:
    rule = override(
        scheme=Scheme.HTTP,
        host="other.test",
        port=9000,
        path_override=tasks_v2.PathOverride(path="/default"),
        query_override=tasks_v2.QueryOverride(query_params="d=1"),
        uri_override_enforce_mode=Mode.IF_NOT_EXISTS,
    )

    assert override_url(URL, rule) == URL
    assert (
        override_url("https://bare.test", rule) == "https://bare.test:9000/default?d=1"
    )


def test_a_minted_token_replaces_any_authorization_header_given() -> None:
    task = tasks_v2.Task(
        name="projects/p/locations/l/queues/q/tasks/t",
        http_request=tasks_v2.HttpRequest(
            url="https://example.com/",
            headers={"authorization": "Basic eDp5", "X-Keep": "1"},
            oidc_token=tasks_v2.OidcToken(service_account_email="sa@p.test"),
        ),
        dispatch_count=1,
    )
    target = tasks_v2.HttpTarget(
        header_overrides=[
            tasks_v2.HttpTarget.HeaderOverride(
                header=tasks_v2.HttpTarget.Header(key=key, value="x")
            )
            for key in ("Content-Length", "Host", "X-CloudTasks-TaskName")
        ]
    )
    queue = tasks_v2.Queue(name="projects/p/locations/l/queues/q", http_target=target)
    row = TaskRow(task.name, queue.name, tasks_v2.Task.pb(task))

    request = build(row, tasks_v2.Queue.pb(queue))

    headers = dict(request.headers)
    assert "authorization" not in {key.lower() for key in headers}
    assert "Host" not in headers and "Content-Length" not in headers
    assert headers["X-Keep"] == "1"
    assert headers["X-CloudTasks-TaskName"] == "t"
    assert request.auth == Auth("oidc", "sa@p.test", "https://example.com/")
