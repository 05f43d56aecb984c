"""The queue fields queuekeeper manages, their kinds and how values look.

A queue's managed settings are a flat mapping from an update-mask path of the
Cloud Tasks v2 API (``rate_limits.max_dispatches_per_second``) to a value of a
small closed set of shapes, so the planner can compare them one by one and
``apply`` can send exactly the paths that differ:

- ``float`` for rates (dispatches per second) and the logging sampling ratio;
- ``int`` for counts, and for durations as whole nanoseconds;
- ``str`` for enum names (``POST``);
- ``Pairs`` (a tuple of ``(key, value)`` string pairs) for messages that are
  managed as a whole: header overrides, the URI override, the auth tokens.
"""

from __future__ import annotations

import enum
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

Pairs = tuple[tuple[str, str], ...]
Value = float | int | str | Pairs
Settings = Mapping[str, Value]

NANOS_PER_SECOND = 1_000_000_000


class Kind(enum.Enum):
    RATE = "rate"
    COUNT = "count"
    DURATION = "duration"
    RATIO = "ratio"
    METHOD = "method"
    PAIRS = "pairs"


class State(enum.Enum):
    """The queue states a manifest may declare (the API's names)."""

    RUNNING = "RUNNING"
    PAUSED = "PAUSED"


@dataclass(frozen=True)
class Field:
    path: str
    kind: Kind


FIELDS: Mapping[str, Field] = {
    f.path: f
    for f in (
        Field("rate_limits.max_dispatches_per_second", Kind.RATE),
        Field("rate_limits.max_concurrent_dispatches", Kind.COUNT),
        Field("retry_config.max_attempts", Kind.COUNT),
        Field("retry_config.min_backoff", Kind.DURATION),
        Field("retry_config.max_backoff", Kind.DURATION),
        Field("retry_config.max_doublings", Kind.COUNT),
        Field("retry_config.max_retry_duration", Kind.DURATION),
        Field("stackdriver_logging_config.sampling_ratio", Kind.RATIO),
        Field("http_target.http_method", Kind.METHOD),
        Field("http_target.uri_override", Kind.PAIRS),
        Field("http_target.header_overrides", Kind.PAIRS),
        Field("http_target.oauth_token", Kind.PAIRS),
        Field("http_target.oidc_token", Kind.PAIRS),
    )
}

# Whole messages: the manifest declares them as one mapping and the API's
# update mask names them as one path.
WHOLE_MESSAGES = frozenset(p for p, f in FIELDS.items() if f.kind is Kind.PAIRS)
AUTH_TOKENS = ("http_target.oauth_token", "http_target.oidc_token")

# Names (of headers, of query parameters) whose values are credentials, and
# value prefixes that mark one whatever the name: never shown in a plan or log.
SENSITIVE_WORDS = (
    "auth",
    "cookie",
    "key",
    "token",
    "secret",
    "pass",
    "pwd",
    "sig",
    "credential",
    "session",
    "csrf",
    "xsrf",
    "jwt",
    "otp",
)
# Schemes of an Authorization-like value, and a JSON Web Token's opening.
_SENSITIVE_VALUE = re.compile(r"^\s*((bearer|basic|digest|token)\s|eyJ[\w-]+\.)", re.I)
REDACTED = "(redacted)"
REDACTED_CHANGED = "(redacted, changed)"


def values_equal(path: str, old: Value | None, new: Value | None) -> bool:
    """Compare two values of one field the way the API stores them.

    Durations are whole nanoseconds and compare exactly; floats compare with a
    relative tolerance of 1e-9, because ``1/m`` survives the wire as the nearest
    double and nothing finer is meaningful for a rate or a ratio.
    """
    if isinstance(old, float) or isinstance(new, float):
        if not isinstance(old, int | float) or not isinstance(new, int | float):
            return False
        return math.isclose(old, new, rel_tol=1e-9, abs_tol=0.0)
    return old == new


def format_duration(nanos: int) -> str:
    """``10_000_000_000`` → ``10s``; picks the largest unit that is exact."""
    for unit, size in (("d", 86_400), ("h", 3_600), ("m", 60)):
        if nanos and nanos % (size * NANOS_PER_SECOND) == 0:
            return f"{nanos // (size * NANOS_PER_SECOND)}{unit}"
    seconds = Decimal(nanos) / NANOS_PER_SECOND
    return f"{seconds.normalize():f}s"


def format_rate(rate: float) -> str:
    """Per second from 1/s up; below that, the first unit that is whole."""
    if rate >= 1:
        return f"{rate:g}/s"
    for unit, size in (("s", 1), ("m", 60), ("h", 3_600), ("d", 86_400)):
        per_unit = rate * size
        if per_unit >= 1 and math.isclose(per_unit, round(per_unit), rel_tol=1e-9):
            return f"{round(per_unit)}/{unit}"
    return f"{rate:g}/s"


def is_sensitive(name: str, value: str) -> bool:
    """Whether a named value (a header, a query parameter) is a credential."""
    lowered = name.lower()
    return any(word in lowered for word in SENSITIVE_WORDS) or bool(
        _SENSITIVE_VALUE.match(value)
    )


def redact(
    path: str, value: Value | None, compared: Value | None = None
) -> Value | None:
    """The value with any credential in it replaced, for display.

    With ``compared`` (the other side of a diff), a credential that differs
    from its counterpart there reads "(redacted, changed)", so a changed
    secret does not look like no change at all.
    """
    if not isinstance(value, tuple):
        return value
    others = dict(compared) if isinstance(compared, tuple) else {}
    if path == "http_target.header_overrides":
        return tuple(
            (
                name,
                _hidden(text, others.get(name), compared)
                if is_sensitive(name, text)
                else text,
            )
            for name, text in value
        )
    if path == "http_target.uri_override":
        query = others.get("query_params") if compared is not None else None
        return tuple(
            (k, _redact_query(v, query) if k == "query_params" else v) for k, v in value
        )
    return value


def _hidden(text: str, other: str | None, compared: Value | None) -> str:
    return REDACTED_CHANGED if compared is not None and other != text else REDACTED


def _redact_query(query: str, compared: str | None) -> str:
    """``a=1&api_key=x`` → ``a=1&api_key=(redacted)``; marks a changed one."""
    before = dict(part.partition("=")[::2] for part in (compared or "").split("&"))
    parts = []
    for part in query.split("&"):
        name, equals, text = part.partition("=")
        if equals and is_sensitive(name, text):
            changed = compared is not None and before.get(name) != text
            part = f"{name}={REDACTED_CHANGED if changed else REDACTED}"
        parts.append(part)
    return "&".join(parts)


def format_value(path: str, value: Value | None, compared: Value | None = None) -> str:
    """A short human form of a value, with credentials redacted."""
    value = redact(path, value, compared)
    if value is None:
        return "(unset)"
    kind = FIELDS[path].kind if path in FIELDS else None
    if path == "retry_config.max_attempts" and value == -1:
        return "unlimited"
    if kind is Kind.DURATION and isinstance(value, int):
        return format_duration(value)
    if kind is Kind.RATE and isinstance(value, int | float):
        return format_rate(float(value))
    if isinstance(value, tuple):
        return "{" + ", ".join(f"{k}: {v}" for k, v in value) + "}"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def to_json(value: Value | None) -> object:
    if isinstance(value, tuple):
        return [list(pair) for pair in value]
    return value


URI_PARTS = ("scheme", "host", "port", "path", "query_params")
ENFORCE_MODE = "uri_override_enforce_mode"


def uri_override_pairs(parts: Mapping[str, str | int | None], mode: str = "") -> Pairs:
    """The canonical form of a URI override: the parts it sets, then the mode.

    Each part is optional and an absent part leaves the task's own in place,
    while a present one replaces it (a port of 0 or an empty path or query
    *clears* that part of the task's URL). Only parts that are present appear.
    An unspecified enforce mode is ALWAYS, so it is always filled in.
    """
    present = [(k, str(parts[k])) for k in URI_PARTS if parts.get(k) is not None]
    return (*present, (ENFORCE_MODE, mode or "ALWAYS"))


def token_pairs(path: str, email: str, detail: str) -> Pairs:
    """An OAuth token (email, scope) or OIDC token (email, audience)."""
    second = "scope" if path == "http_target.oauth_token" else "audience"
    return (("service_account_email", email), (second, detail))


def implied_burst(rate: float) -> int:
    """The max_burst_size Cloud Tasks derives from a dispatch rate.

    Assumption: Google does not publish the rule (see the rate limits in
    docs/cloud-tasks-facts.md). Queues
    created through the API report 100 at the default 500/s, so this takes a
    fifth of a second of dispatches, rounded up, at least 1: exactly 100 at
    the 500/s ceiling. The emulator derives its bursts with this function.
    """
    return max(1, math.ceil(rate / 5))
