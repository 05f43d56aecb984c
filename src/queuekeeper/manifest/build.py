"""From a schema-valid document to :class:`QueueSpec` records.

Checks here need arithmetic or the whole manifest: rates in units, the API's
limits, backoff order after ``defaults`` are merged, and duplicate queues.
Every value is read once where it is written, so a bad value in ``defaults``
is reported once, at its own line, however many queues inherit it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from queuekeeper import limits
from queuekeeper.fields import AUTH_TOKENS, FIELDS, State, Value, format_duration
from queuekeeper.manifest.model import QueueKey, QueueSpec
from queuekeeper.manifest.values import parse_value
from queuekeeper.manifest.yamlload import Document, Path

GROUPS = ("rate_limits", "retry_config", "stackdriver_logging_config", "http_target")
# After interpolation, the ids must be what the API takes (the schema lets
# `${...}` through for editors that validate the file as written).
_IDS = {"project": limits.PROJECT_ID, "location": limits.LOCATION_ID}

# A declared value in the API's units, and the path it was written at.
Located = dict[str, tuple[Value, Path]]


def build_specs(doc: Document, failed: set[Path]) -> list[QueueSpec]:
    """Specs for every queue whose own fields are valid; problems go on ``doc``."""
    data = doc.data if isinstance(doc.data, dict) else {}
    skip = failed | doc.tainted
    _check_ids(doc, data, (), skip)
    defaults = _flatten(doc, data.get("defaults"), ("defaults",), skip)
    queues = data.get("queues")
    if not isinstance(queues, list):
        return []
    specs = []
    for index, raw in enumerate(queues):
        path: Path = ("queues", index)
        if isinstance(raw, dict) and not _blocked(path, skip, exact=True):
            spec = _spec(doc, data, raw, path, defaults, skip)
            if spec is not None:
                specs.append(spec)
    return specs


def _blocked(path: Path, skip: set[Path], *, exact: bool = False) -> bool:
    """Whether a problem was already reported at ``path`` or above it."""
    if exact:
        return path in skip
    return any(path[: i + 1] in skip for i in range(len(path))) or () in skip


def _check_ids(doc: Document, raw: dict[str, Any], base: Path, skip: set[Path]) -> bool:
    ok = True
    for key, pattern in _IDS.items():
        value, path = raw.get(key), (*base, key)
        if (
            isinstance(value, str)
            and not _blocked(path, skip)
            and (not pattern.fullmatch(value))
        ):
            doc.problem(path, f"{value!r} is not a valid {key} id")
            skip.add(path)
            ok = False
    return ok


def _flatten(doc: Document, raw: Any, base: Path, skip: set[Path]) -> Located:
    """Every managed field declared in ``raw``, read and checked."""
    located: Located = {}
    if not isinstance(raw, dict):
        return located
    for group in GROUPS:
        block = raw.get(group)
        if not isinstance(block, dict):
            continue
        for key, written in block.items():
            field, path = f"{group}.{key}", (*base, group, key)
            # A problem already reported in or under this field: say it once.
            inner = any(s[: len(path)] == path for s in skip)
            if field in FIELDS and not _blocked(path, skip) and not inner:
                value = _read(doc, field, written, path)
                if value is not None:
                    located[field] = (value, path)
    return located


def _read(doc: Document, field: str, written: Any, path: Path) -> Value | None:
    try:
        value = parse_value(field, FIELDS[field].kind, written)
    except ValueError as exc:
        doc.problem(path, str(exc))
        return None
    wrong = limits.problem(field, value)
    if wrong:
        doc.problem(path, wrong)
        return None
    return value


def _merge(defaults: Located, own: Located) -> Located:
    merged = dict(defaults)
    # The auth tokens are one choice: a queue's own token replaces the default.
    if any(token in own for token in AUTH_TOKENS):
        for token in AUTH_TOKENS:
            merged.pop(token, None)
    merged.update(own)
    return merged


def _state(
    data: dict[str, Any], raw: dict[str, Any], path: Path, skip: set[Path]
) -> State | None:
    for source, at in ((raw, (*path, "state")), (data.get("defaults"), None)):
        if isinstance(source, dict) and "state" in source:
            blocked = _blocked(at or ("defaults", "state"), skip)
            return None if blocked else State(str(source["state"]).upper())
    return None


def _spec(
    doc: Document,
    data: dict[str, Any],
    raw: dict[str, Any],
    path: Path,
    defaults: Located,
    skip: set[Path],
) -> QueueSpec | None:
    ids_ok = _check_ids(doc, raw, path, skip)
    parts = [raw.get(k, data.get(k)) for k in ("project", "location", "name")]
    where = [(*path, k) if k in raw else (k,) for k in ("project", "location")]
    if (
        not ids_ok
        or not all(isinstance(p, str) for p in parts)
        or any(_blocked(p, skip) for p in [*where, (*path, "name")])
    ):
        return None
    merged = _merge(defaults, _flatten(doc, raw, path, skip))
    _check_backoff(doc, merged)
    return QueueSpec(
        key=QueueKey(str(parts[0]), str(parts[1]), str(parts[2])),
        settings={field: value for field, (value, _) in merged.items()},
        state=_state(data, raw, path, skip),
        file=doc.file,
        line=doc.line_of((*path, "name")),
    )


def _check_backoff(doc: Document, merged: Located) -> None:
    low = merged.get("retry_config.min_backoff")
    high = merged.get("retry_config.max_backoff")
    if (
        low
        and high
        and isinstance(low[0], int)
        and isinstance(high[0], int)
        and (low[0] > high[0])
    ):
        doc.problem(
            low[1],
            f"min_backoff ({format_duration(low[0])}) is greater than max_backoff "
            f"({format_duration(high[0])})",
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
