"""The baselines: the official google-cloud-tasks client used directly.

The workload's written values are converted here by the benchmark's own small
parsers, not queuekeeper's, so a baseline never runs the code it is compared
with, and a plan that is not empty points at a disagreement worth reading.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import grpc
from google.cloud import tasks_v2
from google.cloud.tasks_v2.services.cloud_tasks.transports import (
    CloudTasksGrpcTransport,
)

from workload import PROJECT, merged_fields, queue_name

_RATE_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3_600, "d": 86_400}
_DURATION_PART = re.compile(r"([0-9]+(?:\.[0-9]+)?)(ms|s|m|h|d)")
_DURATION_UNIT_SECONDS = {"ms": 0.001, "s": 1, "m": 60, "h": 3_600, "d": 86_400}


def connect(address: str) -> tasks_v2.CloudTasksClient:
    """A client on an insecure channel, as the emulator's own tests build it."""
    channel = grpc.insecure_channel(address)
    return tasks_v2.CloudTasksClient(transport=CloudTasksGrpcTransport(channel=channel))


def parent(location: str) -> str:
    return f"projects/{PROJECT}/locations/{location}"


def list_all(client: tasks_v2.CloudTasksClient, location: str) -> int:
    """A bare paged ListQueues, every page fetched; returns the queue count."""
    return sum(1 for _ in client.list_queues(parent=parent(location)))


def list_all_new_client(address: str, location: str) -> int:
    """The same listing on a new channel, as a fresh CLI process must do."""
    client = connect(address)
    try:
        return list_all(client, location)
    finally:
        close(client)


def close(client: tasks_v2.CloudTasksClient) -> None:
    client.transport.close()  # type: ignore[no-untyped-call]


def create_all(client: tasks_v2.CloudTasksClient, location: str, count: int) -> None:
    """Create queues ``0 .. count-1`` one after the other."""
    where = parent(location)
    for index in range(count):
        client.create_queue(parent=where, queue=api_queue(location, index))


def api_queue(location: str, index: int) -> tasks_v2.Queue:
    """Queue ``index`` of the workload as an API message."""
    fields = merged_fields(index)
    queue: dict[str, Any] = {
        "name": f"{parent(location)}/queues/{queue_name(index)}",
        "rate_limits": _rate_limits(fields["rate_limits"]),
        "retry_config": _retry_config(fields["retry_config"]),
    }
    if "stackdriver_logging_config" in fields:
        queue["stackdriver_logging_config"] = fields["stackdriver_logging_config"]
    if "http_target" in fields:
        queue["http_target"] = _http_target(fields["http_target"])
    return tasks_v2.Queue(queue)


def _rate_limits(written: dict[str, Any]) -> dict[str, Any]:
    limits = dict(written)
    limits["max_dispatches_per_second"] = _rate(written["max_dispatches_per_second"])
    return limits


def _rate(written: float | str) -> float:
    if isinstance(written, str):
        amount, _, unit = written.partition("/")
        return float(amount) / _RATE_UNIT_SECONDS[unit]
    return float(written)


def _retry_config(written: dict[str, Any]) -> dict[str, Any]:
    retry: dict[str, Any] = {}
    for key, value in written.items():
        if key.endswith(("_backoff", "_duration")):
            retry[key] = _duration(value)
        elif value == "unlimited":
            retry[key] = -1  # the API's spelling of unlimited attempts
        else:
            retry[key] = value
    return retry


def _duration(written: str) -> timedelta:
    seconds = sum(
        float(amount) * _DURATION_UNIT_SECONDS[unit]
        for amount, unit in _DURATION_PART.findall(written)
    )
    return timedelta(seconds=seconds)


def _http_target(written: dict[str, Any]) -> dict[str, Any]:
    target = dict(written)
    target["http_method"] = tasks_v2.HttpMethod.__members__[written["http_method"]]
    target["header_overrides"] = [
        {"header": {"key": key, "value": value}}
        for key, value in written.get("header_overrides", {}).items()
    ]
    return target


def queues_by_name(client: tasks_v2.CloudTasksClient, location: str) -> dict[str, Any]:
    """Every live queue of ``location`` as a raw message, by its short name."""
    found = {}
    for queue in client.list_queues(parent=parent(location)):
        raw = tasks_v2.Queue.pb(queue)
        found[raw.name.rsplit("/", 1)[1]] = raw
    return found


def differing_fields(left: Any, right: Any, prefix: str = "") -> list[str]:
    """Dotted paths of the fields two messages disagree on, names aside.

    Presence counts: an optional field set to its zero differs from an unset
    one, as it does to the API.
    """
    found = []
    for field in left.DESCRIPTOR.fields:
        path = f"{prefix}{field.name}"
        if path == "name":
            continue
        present = field.has_presence and left.HasField(field.name)
        if field.has_presence and present != right.HasField(field.name):
            found.append(f"{path} (set on one side only)")
        elif field.message_type and field.has_presence:  # a singular message
            if present:
                found += differing_fields(
                    getattr(left, field.name), getattr(right, field.name), f"{path}."
                )
        elif getattr(left, field.name) != getattr(right, field.name):
            found.append(path)
    return found
