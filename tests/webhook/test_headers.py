"""parse_task_headers: the X-CloudTasks-* headers as a TaskAttempt."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from queuekeeper.webhook import (
    NotACloudTasksRequest,
    TaskAttempt,
    headers_from_environ,
    normalize_headers,
    parse_task_headers,
)

FIRST = {
    "X-CloudTasks-QueueName": "emails",
    "X-CloudTasks-TaskName": "welcome_42",
    "X-CloudTasks-TaskRetryCount": "0",
    "X-CloudTasks-TaskExecutionCount": "0",
    "X-CloudTasks-TaskETA": "1800000000.123456",
    "Content-Type": "application/json",
}
RETRY = {
    **FIRST,
    "X-CloudTasks-TaskRetryCount": "3",
    "X-CloudTasks-TaskExecutionCount": "2",
    "X-CloudTasks-TaskPreviousResponse": "503",
    "X-CloudTasks-TaskRetryReason": "Service Unavailable",
}
ETA = datetime(2027, 1, 15, 8, 0, 0, 123456, tzinfo=timezone.utc)


def test_a_first_attempt_reads_every_field() -> None:
    attempt = parse_task_headers(FIRST)

    assert attempt == TaskAttempt(
        queue_name="emails",
        task_name="welcome_42",
        retry_count=0,
        execution_count=0,
        eta=ETA,
        previous_response=None,
        retry_reason=None,
    )
    assert not attempt.is_retry
    assert attempt.eta.tzinfo is timezone.utc


def test_a_retry_reads_the_previous_response_and_reason() -> None:
    attempt = parse_task_headers(RETRY)

    assert attempt.is_retry
    assert (attempt.retry_count, attempt.execution_count) == (3, 2)
    assert attempt.previous_response == 503
    assert attempt.retry_reason == "Service Unavailable"


def test_an_empty_retry_reason_reads_as_none() -> None:
    # What production sends for HTTP targets.
    headers = {**RETRY, "X-CloudTasks-TaskRetryReason": ""}

    assert parse_task_headers(headers).retry_reason is None


def test_header_names_are_case_insensitive() -> None:
    lower = {name.lower(): value for name, value in RETRY.items()}
    upper = {name.upper(): value for name, value in RETRY.items()}

    assert parse_task_headers(lower) == parse_task_headers(RETRY)
    assert parse_task_headers(upper) == parse_task_headers(RETRY)


def test_pairs_are_read_like_a_mapping() -> None:
    assert parse_task_headers(list(RETRY.items())) == parse_task_headers(RETRY)


def test_a_wsgi_environ_gives_the_same_attempt() -> None:
    environ = {
        "REQUEST_METHOD": "POST",
        "CONTENT_TYPE": "application/json",
        "wsgi.input": object(),
        **{"HTTP_" + k.upper().replace("-", "_"): v for k, v in RETRY.items()},
    }

    headers = headers_from_environ(environ)

    assert headers["x-cloudtasks-taskname"] == "welcome_42"
    assert headers["content-type"] == "application/json"
    assert parse_task_headers(headers) == parse_task_headers(RETRY)


def test_values_are_stripped_and_repeats_joined() -> None:
    pairs = [("Accept", "a"), ("accept", " b "), ("X-Other", " c ")]

    assert normalize_headers(pairs) == {"accept": "a, b", "x-other": "c"}


def test_the_eta_keeps_its_microseconds_and_reads_whole_seconds() -> None:
    assert parse_task_headers(FIRST).eta.microsecond == 123456
    whole = parse_task_headers({**FIRST, "X-CloudTasks-TaskETA": "1800000000"})
    assert whole.eta == ETA.replace(microsecond=0)


def test_a_request_without_a_task_name_is_not_from_cloud_tasks() -> None:
    headers = {k: v for k, v in FIRST.items() if k != "X-CloudTasks-TaskName"}

    with pytest.raises(NotACloudTasksRequest, match="no X-CloudTasks-TaskName") as e:
        parse_task_headers(headers)
    assert e.value.header == "X-CloudTasks-TaskName"


def test_an_empty_request_is_not_from_cloud_tasks() -> None:
    with pytest.raises(NotACloudTasksRequest):
        parse_task_headers({})


@pytest.mark.parametrize(
    "header",
    [
        "X-CloudTasks-QueueName",
        "X-CloudTasks-TaskRetryCount",
        "X-CloudTasks-TaskExecutionCount",
        "X-CloudTasks-TaskETA",
    ],
)
def test_a_missing_header_every_attempt_carries_is_named(header: str) -> None:
    headers = {k: v for k, v in FIRST.items() if k != header}

    with pytest.raises(NotACloudTasksRequest, match=f"no {header} header") as e:
        parse_task_headers(headers)
    assert e.value.header == header


@pytest.mark.parametrize(
    ("header", "value", "problem"),
    [
        ("X-CloudTasks-TaskRetryCount", "-1", "is not a whole number"),
        ("X-CloudTasks-TaskRetryCount", "1.5", "is not a whole number"),
        ("X-CloudTasks-TaskRetryCount", "+1", "is not a whole number"),
        ("X-CloudTasks-TaskRetryCount", "\u0661", "is not a whole number"),
        ("X-CloudTasks-TaskExecutionCount", "", "is not a whole number"),
        ("X-CloudTasks-TaskExecutionCount", "9" * 5000, "is not a whole number"),
        ("X-CloudTasks-TaskPreviousResponse", "OK", "is not a whole number"),
        ("X-CloudTasks-TaskETA", "soon", "is not a number of seconds"),
        ("X-CloudTasks-TaskETA", "nan", "is not a number of seconds"),
        ("X-CloudTasks-TaskETA", "-5", "is not a number of seconds"),
        ("X-CloudTasks-TaskETA", "1e9", "is not a number of seconds"),
        ("X-CloudTasks-TaskETA", "999999999999", "is out of range"),
        ("X-CloudTasks-TaskName", "a/b", "is not a valid ID"),
        ("X-CloudTasks-TaskName", "", "is not a valid ID"),
        ("X-CloudTasks-QueueName", "under_score", "is not a valid ID"),
        ("X-CloudTasks-QueueName", "q" * 101, "is not a valid ID"),
    ],
)
def test_a_malformed_value_is_refused_with_the_header_named(
    header: str, value: str, problem: str
) -> None:
    with pytest.raises(NotACloudTasksRequest, match=f"{header} {problem}") as e:
        parse_task_headers({**RETRY, header: value})
    assert e.value.header == header


def test_a_task_name_sent_twice_is_malformed() -> None:
    pairs = [*FIRST.items(), ("x-cloudtasks-taskname", "other")]

    with pytest.raises(NotACloudTasksRequest, match="is not a valid ID"):
        parse_task_headers(pairs)


def test_a_malformed_value_is_shown_escaped_and_cut_short() -> None:
    value = "1\r\nX-Forged: yes" + "x" * 100

    with pytest.raises(NotACloudTasksRequest) as e:
        parse_task_headers({**FIRST, "X-CloudTasks-TaskRetryCount": value})
    message = str(e.value)
    assert "\r\n" not in message and "\\r\\n" in message
    assert "x" * 100 not in message
