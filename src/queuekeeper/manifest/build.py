"""From a schema-valid document to :class:`QueueSpec` records.

Checks here need arithmetic or the whole manifest: rates in units, backoff
order after ``defaults`` are merged, and duplicate queues.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from queuekeeper.fields import AUTH_TOKENS, FIELDS, State, Value, format_duration
from queuekeeper.manifest.model import QueueKey, QueueSpec
from queuekeeper.manifest.values import parse_value
from queuekeeper.manifest.yamlload import Document, Path

GROUPS = ("rate_limits", "retry_config", "stackdriver_logging_config", "http_target")

# Declared value of one field, and the path it was written at.
Located = dict[str, tuple[Any, Path]]


def build_specs(doc: Document, failed: set[Path]) -> list[QueueSpec]:
    """Specs for every queue whose own fields are valid; problems go on ``doc``."""
    data = doc.data if isinstance(doc.data, dict) else {}
    queues = data.get("queues")
    if not isinstance(queues, list):
        return []
    skip = failed | doc.tainted
    defaults = _flatten(data.get("defaults"), ("defaults",), skip)
    specs = []
    for index, raw in enumerate(queues):
        path: Path = ("queues", index)
        if not isinstance(raw, dict) or _blocked(path, skip, exact=True):
            continue
        spec = _spec(doc, data, raw, path, defaults, skip)
        if spec is not None:
            specs.append(spec)
    return specs


def _blocked(path: Path, skip: set[Path], *, exact: bool = False) -> bool:
    """Whether a problem was already reported at ``path`` or above it."""
    if exact:
        return path in skip
    return any(path[: i + 1] in skip for i in range(len(path))) or () in skip


def _flatten(raw: Any, base: Path, skip: set[Path]) -> Located:
    located: Located = {}
    if not isinstance(raw, dict):
        return located
    for group in GROUPS:
        block = raw.get(group)
        if not isinstance(block, dict):
            continue
        for key, value in block.items():
            path = (*base, group, key)
            if f"{group}.{key}" in FIELDS and not _blocked(path, skip):
                located[f"{group}.{key}"] = (value, path)
    if "state" in raw and not _blocked((*base, "state"), skip):
        located["state"] = (raw["state"], (*base, "state"))
    return located


def _merge(defaults: Located, own: Located) -> Located:
    merged = dict(defaults)
    # The auth tokens are one choice: a queue's own token replaces the default.
    if any(token in own for token in AUTH_TOKENS):
        for token in AUTH_TOKENS:
            merged.pop(token, None)
    merged.update(own)
    return merged


def _spec(
    doc: Document,
    data: dict[str, Any],
    raw: dict[str, Any],
    path: Path,
    defaults: Located,
    skip: set[Path],
) -> QueueSpec | None:
    parts = [raw.get(k, data.get(k)) for k in ("project", "location", "name")]
    where = [(*path, k) if k in raw else (k,) for k in ("project", "location")]
    if not all(isinstance(p, str) for p in parts) or any(
        _blocked(p, skip) for p in [*where, (*path, "name")]
    ):
        return None
    key = QueueKey(str(parts[0]), str(parts[1]), str(parts[2]))
    merged = _merge(defaults, _flatten(raw, path, skip))
    settings: dict[str, Value] = {}
    for field_path, (value, at) in merged.items():
        if field_path == "state":
            continue
        try:
            settings[field_path] = parse_value(
                field_path, FIELDS[field_path].kind, value
            )
        except ValueError as exc:
            doc.problem(at, str(exc))
    _check_backoff(doc, settings, merged)
    state = merged.get("state")
    return QueueSpec(
        key=key,
        settings=settings,
        state=State(state[0].upper()) if state else None,
        file=doc.file,
        line=doc.line_of((*path, "name")),
    )


def _check_backoff(doc: Document, settings: dict[str, Value], merged: Located) -> None:
    low = settings.get("retry_config.min_backoff")
    high = settings.get("retry_config.max_backoff")
    if isinstance(low, int) and isinstance(high, int) and low > high:
        doc.problem(
            merged["retry_config.min_backoff"][1],
            f"min_backoff ({format_duration(low)}) is greater than max_backoff "
            f"({format_duration(high)})",
            "the API rejects a queue whose min_backoff exceeds its max_backoff",
        )


def duplicate_problems(specs: list[QueueSpec]) -> Iterator[tuple[QueueSpec, str]]:
    """Yield each spec that repeats an earlier one's queue, with a message."""
    first: dict[QueueKey, QueueSpec] = {}
    for spec in specs:
        if spec.key in first:
            yield (
                spec,
                (
                    f"duplicate queue {spec.key.name!r} in project {spec.key.project}, "
                    f"location {spec.key.location} (first declared at "
                    f"{first[spec.key].source})"
                ),
            )
        else:
            first[spec.key] = spec
