"""UpdateQueue field masks: nested paths, resets, and the paths that are refused.

A path names a field of `Queue`, possibly nested (`retry_config.max_attempts`).
The masked field takes the request's value; a masked field the request leaves
empty is cleared, and `queues.fill_defaults` then restores its default. That is
how gcloud's `--clear-max-attempts` works (facts: gcloud: masked path, empty value).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from .errors import invalid
from .messages import QueuePb

# Cloud Tasks: "If empty, then all fields will be updated." These are all the
# top-level fields a client may write.
ALL_MUTABLE = (
    "app_engine_routing_override",
    "http_target",
    "rate_limits",
    "retry_config",
    "stackdriver_logging_config",
)
# Output-only fields are ignored rather than refused (UpdateQueue doc).
_OUTPUT_ONLY = frozenset(
    {
        "state",
        "purge_time",
        "rate_limits.max_burst_size",
        "app_engine_routing_override.host",
    }
)
_CAMEL_HUMP = re.compile(r"(?<!^)(?=[A-Z])")


def writable_paths(paths: Iterable[str]) -> list[str]:
    """Check a mask and return the paths to copy, in snake_case.

    REST clients send camelCase (`rateLimits.maxDispatchesPerSecond`), so both
    spellings are accepted. An empty mask means every writable field.
    """
    snake = [_to_snake(path) for path in paths]
    if not snake:
        return list(ALL_MUTABLE)
    for path in snake:
        if path == "name":
            raise invalid(
                'The queue name is immutable: remove "name" from update_mask.'
            )
        _check_exists(path)
    return [path for path in snake if path not in _OUTPUT_ONLY]


def apply_mask(target: Any, source: Any, paths: Iterable[str]) -> None:
    """Copy each path from `source` into `target`; empty in source clears it."""
    for path in paths:
        _copy_path(target, source, path.split("."))


def _to_snake(path: str) -> str:
    return ".".join(_CAMEL_HUMP.sub("_", part).lower() for part in path.split("."))


def _check_exists(path: str) -> None:
    descriptor = QueuePb.DESCRIPTOR
    parts = path.split(".")
    for depth, part in enumerate(parts):
        field = descriptor.fields_by_name.get(part)
        if field is None:
            raise invalid(f'Unknown field in update_mask: "{path}".')
        is_last = depth == len(parts) - 1
        if not is_last:
            if field.message_type is None or _is_repeated(field):
                raise invalid(f'Unknown field in update_mask: "{path}".')
            descriptor = field.message_type


def _copy_path(target: Any, source: Any, parts: list[str]) -> None:
    *head, leaf = parts
    for part in head:
        # A missing message on the way down makes every field under it empty.
        source = getattr(source, part) if _has(source, part) else None
        target = getattr(target, part)

    field = target.DESCRIPTOR.fields_by_name[leaf]
    if _is_repeated(field):
        target.ClearField(leaf)
        if source is not None:
            getattr(target, leaf).extend(getattr(source, leaf))
    elif field.message_type is not None:
        if _has(source, leaf):
            getattr(target, leaf).CopyFrom(getattr(source, leaf))
        else:
            target.ClearField(leaf)
    elif source is None:
        target.ClearField(leaf)
    else:
        setattr(target, leaf, getattr(source, leaf))


def _has(message: Any, field: str) -> bool:
    return message is not None and bool(message.HasField(field))


def _is_repeated(field: Any) -> bool:
    # `is_repeated` replaced `label` in newer protobuf releases.
    repeated = getattr(field, "is_repeated", None)
    if repeated is not None:
        return bool(repeated)
    return bool(field.label == field.LABEL_REPEATED)
