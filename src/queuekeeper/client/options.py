"""Task options: frozen values that say how one task is made.

``with_payload(...)``, ``with_method(...)`` and the others each return a
:class:`TaskOption`; options compose with ``+`` and can be kept and reused,
since nothing ever changes one. ``run(queue, path, *options, **keywords)``
applies them in order, then its keyword arguments:

- a later option replaces what an earlier one set, and a keyword argument
  replaces what any option set (a keyword given as ``None`` sets nothing);
- ``delay`` and ``schedule_time`` are one setting (when), as are
  ``oidc_token`` and ``oauth_token`` (how to authenticate): setting one
  replaces the other, and giving both as keyword arguments is an error;
- ``headers`` replace earlier headers as a whole; they are not merged.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from queuekeeper.client.payload import Encoded, encode
from queuekeeper.errors import InvalidTask

Headers = tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class OidcToken:
    """Have Cloud Tasks sign an OIDC token as this service account.

    ``audience`` defaults to the task's URL without query and fragment.
    """

    service_account_email: str
    audience: str | None = None


@dataclass(frozen=True)
class OAuthToken:
    """Have Cloud Tasks attach an OAuth access token (for Google APIs)."""

    service_account_email: str
    scope: str | None = None


@dataclass(frozen=True)
class TaskSettings:
    """Every option resolved: what one ``run`` call asks for."""

    payload: Encoded | None = None
    method: str = "POST"
    delay: timedelta | None = None
    schedule_time: datetime | None = None
    headers: Headers = ()
    name: str | None = None
    dispatch_deadline: timedelta | None = None
    oidc_token: OidcToken | None = None
    oauth_token: OAuthToken | None = None


# Fields that are one setting: giving one clears the others.
_GROUPS = (("delay", "schedule_time"), ("oidc_token", "oauth_token"))


@dataclass(frozen=True)
class TaskOption:
    """Some of a task's settings; ``a + b`` applies ``b`` after ``a``."""

    changes: tuple[tuple[str, Any], ...]

    def __add__(self, other: TaskOption) -> TaskOption:
        if not isinstance(other, TaskOption):
            return NotImplemented
        return TaskOption(self.changes + other.changes)

    def __repr__(self) -> str:
        # Names only: a payload or a header value may be a secret.
        return " + ".join(f"with_{name}(...)" for name, _ in self.changes)

    def applied_to(self, settings: TaskSettings) -> TaskSettings:
        for name, value in self.changes:
            cleared = next((g for g in _GROUPS if name in g), (name,))
            settings = replace(settings, **{**dict.fromkeys(cleared), name: value})
        return settings


def with_payload(payload: object) -> TaskOption:
    """The body: bytes, a str (UTF-8) or JSON-serialisable data (made JSON
    now, so later changes to ``payload`` do not count). ``None``: no body."""
    return TaskOption((("payload", None if payload is None else encode(payload)),))


def with_method(method: str) -> TaskOption:
    """The HTTP method (POST by default); any of the API's seven."""
    if not isinstance(method, str):
        raise InvalidTask("method", f"must be a string, not {type(method).__name__}")
    return TaskOption((("method", method.upper()),))


def with_delay(delay: timedelta | float) -> TaskOption:
    """Dispatch no earlier than this long from now (seconds or a timedelta)."""
    return TaskOption((("delay", _duration("delay", delay)),))


def with_schedule_time(when: datetime) -> TaskOption:
    """Dispatch no earlier than this aware datetime."""
    if not isinstance(when, datetime):
        raise InvalidTask("schedule_time", "must be a datetime")
    return TaskOption((("schedule_time", when),))


def with_headers(headers: Mapping[str, str] | Iterable[tuple[str, str]]) -> TaskOption:
    """Request headers (copied: later changes to ``headers`` do not count)."""
    items = headers.items() if isinstance(headers, Mapping) else headers
    try:
        pairs = tuple((name, value) for name, value in items)
    except (TypeError, ValueError) as exc:
        raise InvalidTask("headers", "must be a mapping of names to values") from exc
    if isinstance(headers, str) or not all(
        isinstance(name, str) and isinstance(value, str) for name, value in pairs
    ):
        raise InvalidTask("headers", "names and values must be strings")
    return TaskOption((("headers", pairs),))


def with_name(name: str) -> TaskOption:
    """A task id: a second task with it is refused (de-duplication)."""
    if not isinstance(name, str):
        raise InvalidTask("task id", f"must be a string, not {type(name).__name__}")
    return TaskOption((("name", name),))


def with_dispatch_deadline(deadline: timedelta | float) -> TaskOption:
    """How long one attempt may take (15 s to 30 min; the service's default
    is 10 min)."""
    return TaskOption(
        (("dispatch_deadline", _duration("dispatch_deadline", deadline)),)
    )


def with_oidc_token(token: OidcToken | str) -> TaskOption:
    """An OIDC token for this service account (an email or an OidcToken)."""
    if isinstance(token, str):
        token = OidcToken(token)
    return TaskOption((("oidc_token", token),))


def with_oauth_token(token: OAuthToken | str) -> TaskOption:
    """An OAuth token for this service account (an email or an OAuthToken)."""
    if isinstance(token, str):
        token = OAuthToken(token)
    return TaskOption((("oauth_token", token),))


def _duration(what: str, value: timedelta | float) -> timedelta:
    if isinstance(value, timedelta):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        if not math.isfinite(value) or abs(value) > _MAX_SECONDS:
            raise InvalidTask(what, f"{value} is not a usable number of seconds")
        return timedelta(seconds=value)
    raise InvalidTask(what, "must be a timedelta or a number of seconds")


# Far beyond any limit the service has (30 days ahead, 30 minutes deadline),
# yet small enough for timedelta.
_MAX_SECONDS = 10**9


KEYWORDS: Mapping[str, Callable[[Any], TaskOption]] = {
    "payload": with_payload,
    "method": with_method,
    "delay": with_delay,
    "schedule_time": with_schedule_time,
    "headers": with_headers,
    "name": with_name,
    "dispatch_deadline": with_dispatch_deadline,
    "oidc_token": with_oidc_token,
    "oauth_token": with_oauth_token,
}


def resolve(options: Sequence[TaskOption], keywords: Mapping[str, Any]) -> TaskSettings:
    """The settings from ``options`` in order, then the keyword arguments."""
    given = {k: v for k, v in keywords.items() if v is not None}
    for group in _GROUPS:
        both = [name for name in group if name in given]
        if len(both) > 1:
            raise InvalidTask(" and ".join(both), "give one of them, not both")
    settings = TaskSettings()
    for option in options:
        if not isinstance(option, TaskOption):
            raise TypeError(
                f"options must be TaskOption values (with_payload(...), ...), "
                f"not {type(option).__name__}"
            )
        settings = option.applied_to(settings)
    for name, value in given.items():
        settings = KEYWORDS[name](value).applied_to(settings)
    return settings
