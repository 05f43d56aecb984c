"""The synthetic queues the benchmarks declare, and the manifest that holds them.

Queue ``index`` always gets the same settings, so a manifest written for one
location and the queues created directly through the API for another describe
the same queues. The settings vary the way a real manifest does: rates with
units, durations with units, queues that rely on ``defaults`` and queues that
override them, a few HTTP targets with headers and an OIDC token.

Nothing here imports grpc or google-cloud: ``validate_speed`` uses this module
and must not pull them in by accident.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

PROJECT = "bench"
DEFAULT_QUEUES = 1000

DEFAULTS: dict[str, dict[str, Any]] = {
    "rate_limits": {"max_concurrent_dispatches": 10},
    "retry_config": {"max_attempts": 5, "max_backoff": "10m"},
}

# Written forms: plain numbers and every rate unit.
RATES: tuple[float | str, ...] = (5, "120/m", "3600/h", 50, "30/s", "1/m")
MIN_BACKOFFS = ("100ms", "1s", "10s", "1m30s")
# Each is at least the largest min_backoff, so no pairing breaks their order.
MAX_BACKOFFS = ("5m", "1h", "2m", "30m")


def queue_name(index: int) -> str:
    return f"queue-{index:04d}"


def queue_fields(index: int) -> dict[str, Any]:
    """What the manifest writes for queue ``index`` (before ``defaults``)."""
    fields: dict[str, Any] = {
        "name": queue_name(index),
        "rate_limits": _rate_limits(index),
        "retry_config": _retry_config(index),
    }
    if index % 6 == 0:
        fields["state"] = "running"  # declared but already true: no change
    if index % 5 == 0:
        fields["stackdriver_logging_config"] = {"sampling_ratio": 0.1}
    if index % 7 == 0:
        fields["http_target"] = _http_target(index)
    return fields


def _rate_limits(index: int) -> dict[str, Any]:
    limits: dict[str, Any] = {"max_dispatches_per_second": RATES[index % len(RATES)]}
    if index % 3:  # every third queue takes the default concurrency
        limits["max_concurrent_dispatches"] = 1 + index % 50
    return limits


def _retry_config(index: int) -> dict[str, Any]:
    retry: dict[str, Any] = {"min_backoff": MIN_BACKOFFS[index % len(MIN_BACKOFFS)]}
    if index % 10 == 0:
        retry["max_attempts"] = "unlimited"
    elif index % 2:
        retry["max_attempts"] = 3 + index % 5
    if index % 2:
        retry["max_backoff"] = MAX_BACKOFFS[index % len(MAX_BACKOFFS)]
    else:
        # Never 0: a zero costs apply an extra UpdateQueue per queue.
        retry["max_doublings"] = 1 + index % 8
    if index % 4 == 0:
        retry["max_retry_duration"] = "6h"
    return retry


def _http_target(index: int) -> dict[str, Any]:
    target: dict[str, Any] = {
        "http_method": "POST",
        "uri_override": {
            "host": "hooks.example.com",
            "path_override": {"path": f"/tasks/{queue_name(index)}"},
        },
        "header_overrides": {"X-Queue": queue_name(index)},
    }
    if index % 14 == 0:
        target["oidc_token"] = {
            "service_account_email": f"tasks@{PROJECT}.iam.gserviceaccount.com",
            "audience": "https://hooks.example.com",
        }
    return target


def merged_fields(index: int) -> dict[str, Any]:
    """Queue ``index`` with ``defaults`` merged in: what the API should hold."""
    fields = queue_fields(index)
    for group, values in DEFAULTS.items():
        fields[group] = {**values, **fields.get(group, {})}
    return fields


def manifest(location: str, count: int) -> dict[str, Any]:
    return {
        "version": 1,
        "project": PROJECT,
        "location": location,
        "defaults": DEFAULTS,
        "queues": [queue_fields(index) for index in range(count)],
    }


def write_manifest(path: Path, location: str, count: int) -> Path:
    """Write a ``count``-queue manifest for ``location`` to ``path``."""
    body = yaml.safe_dump(manifest(location, count), sort_keys=False, width=88)
    header = f"# {count} synthetic queues written by benchmarks/workload.py\n"
    path.write_text(header + body, encoding="utf-8")
    return path
