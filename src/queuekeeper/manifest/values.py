"""Turning a manifest's written values into the API's units.

Each parser takes what the schema already let through and raises
``ValueError`` with a message for what only arithmetic can catch.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from queuekeeper.fields import (
    NANOS_PER_SECOND,
    Kind,
    Pairs,
    Value,
    token_pairs,
    uri_override_pairs,
)

MAX_RATE = 500.0
_RATE_UNITS = {"s": 1, "m": 60, "h": 3_600, "d": 86_400}
_DURATION_UNITS = {
    "ms": Decimal(1) / 1000,
    "s": Decimal(1),
    "m": Decimal(60),
    "h": Decimal(3_600),
    "d": Decimal(86_400),
}
_DURATION_PART = re.compile(r"([0-9]+(?:\.[0-9]+)?)(ms|s|m|h|d)")


def parse_rate(raw: Any) -> float:
    """``50`` or ``"50/s"`` → 50.0; ``"1/m"`` → 1/60 dispatches per second."""
    if isinstance(raw, str):
        amount, _, unit = raw.partition("/")
        rate = float(Decimal(amount) / _RATE_UNITS[unit])
    else:
        rate = float(raw)
    if rate > MAX_RATE:
        raise ValueError(
            f"{raw!r} is {rate:g} dispatches per second; the API allows at most 500"
        )
    if rate <= 0:
        raise ValueError(f"{raw!r} must be more than zero dispatches per second")
    return rate


def parse_duration(raw: str) -> int:
    """``"1m30s"`` → 90_000_000_000 nanoseconds, exactly."""
    seconds = sum(
        Decimal(amount) * _DURATION_UNITS[unit]
        for amount, unit in _DURATION_PART.findall(raw)
    )
    nanos = Decimal(seconds) * NANOS_PER_SECOND
    if nanos != nanos.to_integral_value():
        raise ValueError(f"{raw!r} is finer than a nanosecond")
    return int(nanos)


def parse_max_attempts(raw: Any) -> int:
    return -1 if raw == "unlimited" else int(raw)


def parse_pairs(path: str, raw: dict[str, Any]) -> Pairs:
    if path == "http_target.header_overrides":
        return tuple(sorted((str(k), str(v)) for k, v in raw.items()))
    if path == "http_target.uri_override":
        parts = {k: raw.get(k) for k in ("scheme", "host", "port")}
        if "path_override" in raw:
            parts["path"] = raw["path_override"].get("path", "")
        if "query_override" in raw:
            parts["query_params"] = raw["query_override"].get("query_params", "")
        return uri_override_pairs(parts, raw.get("uri_override_enforce_mode", ""))
    second = "scope" if path == "http_target.oauth_token" else "audience"
    return token_pairs(path, raw["service_account_email"], raw[second])


def parse_value(path: str, kind: Kind, raw: Any) -> Value:
    if kind is Kind.RATE:
        return parse_rate(raw)
    if kind is Kind.DURATION:
        return parse_duration(raw)
    if path == "retry_config.max_attempts":
        return parse_max_attempts(raw)
    if kind is Kind.PAIRS:
        return parse_pairs(path, raw)
    if kind is Kind.RATIO:
        return float(raw)
    if kind is Kind.COUNT:
        return int(raw)
    return str(raw)
