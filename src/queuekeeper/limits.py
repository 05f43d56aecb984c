"""What the Cloud Tasks API accepts for each managed field.

One function answers "would the API take this value?" for a manifest and for
a hand-edited saved plan alike, so nothing out of range ever reaches a call
(where it would fail late, or not fit the message at all).
"""

from __future__ import annotations

import math
import re

from queuekeeper.fields import (
    ENFORCE_MODE,
    FIELDS,
    NANOS_PER_SECOND,
    URI_PARTS,
    Kind,
    Pairs,
    Value,
)

INT32_MAX = 2**31 - 1
MAX_RATE = 500.0
MAX_CONCURRENCY = 5000
# google.protobuf.Duration's own range: about 10,000 years.
MAX_DURATION_NANOS = 315_576_000_000 * NANOS_PER_SECOND
HTTP_METHODS = ("POST", "GET", "HEAD", "PUT", "DELETE", "PATCH", "OPTIONS")
HEADER_NAME = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")

_TOKEN_KEYS = {
    "http_target.oauth_token": ("service_account_email", "scope"),
    "http_target.oidc_token": ("service_account_email", "audience"),
}
_URI_CHOICES = {
    "scheme": ("HTTP", "HTTPS"),
    ENFORCE_MODE: ("ALWAYS", "IF_NOT_EXISTS"),
}
_COUNT_RANGES = {
    "rate_limits.max_concurrent_dispatches": (1, MAX_CONCURRENCY),
    "retry_config.max_attempts": (-1, INT32_MAX),
    "retry_config.max_doublings": (0, INT32_MAX),
}


def problem(path: str, value: Value) -> str | None:
    """Why the API would refuse ``value`` for ``path``, or None if it would not.

    Messages never repeat a header value: those may be credentials.
    """
    kind = FIELDS[path].kind
    if kind is Kind.RATE:
        return _number(value, low=0.0, high=MAX_RATE, open_low=True)
    if kind is Kind.RATIO:
        return _number(value, low=0.0, high=1.0)
    if kind is Kind.COUNT:
        return _count(path, value)
    if kind is Kind.DURATION:
        return _duration(value)
    if kind is Kind.METHOD:
        return None if value in HTTP_METHODS else "not an HTTP method"
    if not isinstance(value, tuple):
        return "not a mapping"
    if path == "http_target.header_overrides":
        return _headers(value)
    if path == "http_target.uri_override":
        return _uri_override(value)
    return _token(path, value)


def _number(
    value: Value, *, low: float, high: float, open_low: bool = False
) -> str | None:
    if not isinstance(value, int | float) or isinstance(value, bool):
        return "not a number"
    if not math.isfinite(value):
        return f"{value} is not a finite number"
    if value < low or (open_low and value == low) or value > high:
        side = "more than" if open_low else "at least"
        return f"{value:g} is out of range: {side} {low:g} and at most {high:g}"
    return None


def _count(path: str, value: Value) -> str | None:
    low, high = _COUNT_RANGES[path]
    if not isinstance(value, int) or isinstance(value, bool):
        return "not an integer"
    if path == "retry_config.max_attempts" and value == 0:
        return "0 attempts is not allowed: use 1 for no retries, or -1 for unlimited"
    if not low <= value <= high:
        return f"{value} is out of range: {low} to {high}"
    return None


def _duration(value: Value) -> str | None:
    if not isinstance(value, int) or isinstance(value, bool):
        return "not a duration"
    if not 0 <= value <= MAX_DURATION_NANOS:
        return "out of range: from 0 to about 10,000 years"
    return None


def _headers(value: Pairs) -> str | None:
    seen: set[str] = set()
    for name, text in value:
        if not HEADER_NAME.match(name):
            return f"{name!r} is not a valid HTTP header name"
        if name.lower() in seen:
            return f"header {name!r} is given twice (header names ignore case)"
        seen.add(name.lower())
        if "\r" in text or "\n" in text:
            return f"the value of header {name!r} contains a line break"
        if any((ord(c) < 32 and c != "\t") or ord(c) == 127 for c in text):
            return f"the value of header {name!r} contains a control character"
    return None


def _uri_override(value: Pairs) -> str | None:
    keys = [k for k, _ in value]
    items = dict(value)
    if keys != [k for k in (*URI_PARTS, ENFORCE_MODE) if k in items] or (
        keys[-1:] != [ENFORCE_MODE]
    ):
        return "not a URI override"
    if items.get("host") == "":
        return "host must not be empty"
    port = items.get("port", "0")
    if not port.isdigit() or int(port) > 65535:
        return f"port {port!r} is not 0 to 65535"
    for key, choices in _URI_CHOICES.items():
        if key in items and items[key] not in choices:
            return f"{key} must be one of {', '.join(choices)}"
    return None


def _token(path: str, value: Pairs) -> str | None:
    if tuple(k for k, _ in value) != _TOKEN_KEYS[path]:
        return "needs exactly " + " and ".join(_TOKEN_KEYS[path])
    if not all(text for _, text in value):
        return "service_account_email and the second field must not be empty"
    return None


# --- tasks and names (docs/cloud-tasks-facts.md: names, tasks) --------------
# The runtime client checks these before CreateTask; the emulator keeps its
# own copies (emulator/taskrules.py), so it never trusts the client it tests.

PROJECT_ID = re.compile(r"([A-Za-z0-9.-]+:)?[A-Za-z0-9][A-Za-z0-9-]*")
LOCATION_ID = re.compile(r"[a-z][a-z0-9-]*[a-z0-9]")
QUEUE_ID = re.compile(r"[A-Za-z0-9-]{1,100}")
TASK_ID = re.compile(r"[A-Za-z0-9_-]{1,500}")
# The proto says 100 KB, the quotas page 1 MB; the emulator takes 1 MiB for
# HTTP tasks, and so does the client (facts: tasks).
MAX_TASK_BYTES = 1024 * 1024
MAX_URL_LENGTH = 2083
MAX_HEADER_BYTES = 80 * 1024
MAX_SCHEDULE_AHEAD_SECONDS = 30 * 24 * 3600
MIN_DISPATCH_DEADLINE_SECONDS = 15
MAX_DISPATCH_DEADLINE_SECONDS = 30 * 60
BODY_METHODS = ("POST", "PUT", "PATCH")
# Characters Cloud Tasks leaves as they are when it encodes a URL; the length
# limit applies to the encoded form.
URL_SAFE = ":/?#[]@!$&'()*+,;=%-._~"
