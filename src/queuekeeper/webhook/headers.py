"""The X-CloudTasks-* headers of a delivered task, as a typed record.

Every attempt carries the queue and task names, the retry and execution
counts and the ETA; retries add the previous response and a retry reason
(facts: tasks).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

from queuekeeper.limits import QUEUE_ID, TASK_ID

from .errors import NotACloudTasksRequest

HeaderSource = Mapping[str, str] | Iterable[tuple[str, str]]
"""Request headers: a mapping (any case) or (name, value) pairs."""

QUEUE_NAME = "X-CloudTasks-QueueName"
TASK_NAME = "X-CloudTasks-TaskName"
RETRY_COUNT = "X-CloudTasks-TaskRetryCount"
EXECUTION_COUNT = "X-CloudTasks-TaskExecutionCount"
ETA = "X-CloudTasks-TaskETA"
PREVIOUS_RESPONSE = "X-CloudTasks-TaskPreviousResponse"
RETRY_REASON = "X-CloudTasks-TaskRetryReason"

# ASCII digits only: int() would also read other scripts' digits, and signs.
_COUNT = re.compile(r"[0-9]{1,18}")
# Twelve digits reach past datetime's year 9999, and no further.
_SECONDS = re.compile(r"[0-9]{1,12}(\.[0-9]{1,9})?")
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_ENVIRON_EXTRAS = {"CONTENT_TYPE": "content-type", "CONTENT_LENGTH": "content-length"}


@dataclass(frozen=True)
class TaskAttempt:
    """What Cloud Tasks says about the attempt it is delivering.

    `retry_count` is 0 on the first attempt; `execution_count` counts earlier
    attempts that got an answer other than 5xx. `previous_response` is the
    HTTP status of the previous attempt (0 when it got none) and, with
    `retry_reason`, is None on a first attempt. Production sends an empty
    retry reason for HTTP targets, which reads as None.
    """

    queue_name: str
    task_name: str
    retry_count: int
    execution_count: int
    eta: datetime
    previous_response: int | None = None
    retry_reason: str | None = None

    @property
    def is_retry(self) -> bool:
        """Whether an earlier attempt of this task was made."""
        return self.retry_count > 0


def parse_task_headers(headers: HeaderSource) -> TaskAttempt:
    """Read the X-CloudTasks-* headers; raise `NotACloudTasksRequest` if the
    task name is missing or any header is missing or malformed."""
    found = normalize_headers(headers)
    if TASK_NAME.lower() not in found:
        raise NotACloudTasksRequest(TASK_NAME, f"no {TASK_NAME} header")
    return TaskAttempt(
        queue_name=_name(found, QUEUE_NAME, QUEUE_ID),
        task_name=_name(found, TASK_NAME, TASK_ID),
        retry_count=_count(RETRY_COUNT, _required(found, RETRY_COUNT)),
        execution_count=_count(EXECUTION_COUNT, _required(found, EXECUTION_COUNT)),
        eta=_eta(_required(found, ETA)),
        previous_response=_previous_response(found),
        retry_reason=found.get(RETRY_REASON.lower()) or None,
    )


def normalize_headers(headers: HeaderSource) -> dict[str, str]:
    """Headers by lower-cased name, values stripped; a repeated header's values
    are joined with ", " (RFC 9110 §5.3), as WSGI servers do."""
    pairs = headers.items() if isinstance(headers, Mapping) else headers
    found: dict[str, str] = {}
    for name, value in pairs:
        key, value = name.lower(), value.strip()
        found[key] = f"{found[key]}, {value}" if key in found else value
    return found


def headers_from_environ(environ: Mapping[str, Any]) -> dict[str, str]:
    """The request headers in a WSGI environ (``HTTP_X_CLOUDTASKS_TASKNAME``
    becomes ``x-cloudtasks-taskname``), by lower-cased name."""
    found: dict[str, str] = {}
    for key, value in environ.items():
        if not isinstance(value, str):
            continue
        if key.startswith("HTTP_"):
            found[key[5:].replace("_", "-").lower()] = value
        elif key in _ENVIRON_EXTRAS:
            found[_ENVIRON_EXTRAS[key]] = value
    return found


def _required(found: Mapping[str, str], header: str) -> str:
    value = found.get(header.lower())
    if value is None:
        raise NotACloudTasksRequest(header, f"no {header} header")
    return value


def _name(found: Mapping[str, str], header: str, pattern: re.Pattern[str]) -> str:
    value = _required(found, header)
    if not pattern.fullmatch(value):
        raise _malformed(header, value, "is not a valid ID")
    return value


def _count(header: str, value: str) -> int:
    if not _COUNT.fullmatch(value):
        raise _malformed(header, value, "is not a whole number")
    return int(value)


def _eta(value: str) -> datetime:
    # Seconds since the epoch with a fraction ("1800000000.250000"). Decimal
    # keeps the microseconds a float would round at this magnitude.
    if not _SECONDS.fullmatch(value):
        raise _malformed(ETA, value, "is not a number of seconds")
    micros = int(Decimal(value).scaleb(6).to_integral_value())
    try:
        return _EPOCH + timedelta(microseconds=micros)
    except OverflowError:
        raise _malformed(ETA, value, "is out of range") from None


def _previous_response(found: Mapping[str, str]) -> int | None:
    value = found.get(PREVIOUS_RESPONSE.lower())
    if not value:
        return None
    return _count(PREVIOUS_RESPONSE, value)


def _malformed(header: str, value: str, problem: str) -> NotACloudTasksRequest:
    # repr() escapes control characters, so a hostile value cannot forge log lines.
    shown = repr(value if len(value) <= 40 else value[:40] + "…")
    return NotACloudTasksRequest(header, f"{header} {problem}: {shown}")
