"""The pure diff: (declared queues, live queues) → :class:`Plan`.

Nothing here calls the API or prints. ``apply`` executes the same value that
``plan`` renders, so what was reviewed is what runs.
"""

from __future__ import annotations

import enum
import hashlib
import json
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from queuekeeper.fields import (
    FIELDS,
    State,
    Value,
    implied_burst,
    to_json,
    values_equal,
)
from queuekeeper.manifest import Manifest, QueueKey, QueueSpec

log = logging.getLogger(__name__)


class Action(enum.Enum):
    CREATE = "create"
    UPDATE = "update"
    PAUSE = "pause"
    RESUME = "resume"


class NoteKind(enum.Enum):
    UNMANAGED = "unmanaged"
    PAUSED_OUTSIDE = "paused-outside-manifest"
    BURST_RESET = "burst-reset"


@dataclass(frozen=True)
class FieldDiff:
    path: str
    old: Value | None
    new: Value | None


@dataclass(frozen=True)
class Change:
    """One call's worth of work on one queue.

    ``settings`` is what a create sends (every declared field); ``diffs`` are
    the fields an update changes, and become its update mask.
    """

    action: Action
    key: QueueKey
    diffs: tuple[FieldDiff, ...] = ()
    settings: Mapping[str, Value] = field(default_factory=dict)


@dataclass(frozen=True)
class Note:
    kind: NoteKind
    key: QueueKey
    message: str


@dataclass(frozen=True)
class LiveQueue:
    """A queue as the API reports it, in the same shape as a spec."""

    key: QueueKey
    settings: Mapping[str, Value]
    state: str
    max_burst_size: int = 0

    @property
    def fingerprint(self) -> str:
        """A digest of everything ``plan`` compares; changes when they do."""
        body = {
            "settings": {p: to_json(v) for p, v in sorted(self.settings.items())},
            "state": self.state,
            "max_burst_size": self.max_burst_size,
        }
        text = json.dumps(body, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()[:32]


@dataclass(frozen=True)
class Plan:
    changes: tuple[Change, ...] = ()
    notes: tuple[Note, ...] = ()
    # For each queue a change touches: the live fingerprint it was planned
    # against, or None when the queue did not exist.
    fingerprints: Mapping[QueueKey, str | None] = field(default_factory=dict)

    @property
    def has_changes(self) -> bool:
        return bool(self.changes)


def make_plan(manifest: Manifest, live: Iterable[LiveQueue]) -> Plan:
    """Compare every declared queue with its live counterpart."""
    observed = {queue.key: queue for queue in live}
    changes: list[Change] = []
    notes: list[Note] = []
    fingerprints: dict[QueueKey, str | None] = {}
    for spec in sorted(manifest.queues, key=lambda s: s.key):
        current = observed.get(spec.key)
        found = _queue_changes(spec, current)
        notes.extend(_queue_notes(spec, current, found))
        if found:
            changes.extend(found)
            fingerprints[spec.key] = current.fingerprint if current else None
    notes.extend(_unmanaged(manifest, observed))
    log.debug("planned %d changes, %d notes", len(changes), len(notes))
    return Plan(tuple(changes), tuple(notes), fingerprints)


def _queue_changes(spec: QueueSpec, current: LiveQueue | None) -> list[Change]:
    if current is None:
        created = [Change(Action.CREATE, spec.key, settings=dict(spec.settings))]
        if spec.state is State.PAUSED:
            created.append(Change(Action.PAUSE, spec.key))
        return created
    found = []
    diffs = field_diffs(spec.settings, current.settings)
    if diffs:
        found.append(Change(Action.UPDATE, spec.key, diffs=diffs))
    if spec.state is State.PAUSED and current.state != "PAUSED":
        found.append(Change(Action.PAUSE, spec.key))
    if spec.state is State.RUNNING and current.state != "RUNNING":
        found.append(Change(Action.RESUME, spec.key))
    return found


def field_diffs(
    declared: Mapping[str, Value], live: Mapping[str, Value]
) -> tuple[FieldDiff, ...]:
    """The declared fields whose live value differs, in catalogue order."""
    return tuple(
        FieldDiff(path, live.get(path), declared[path])
        for path in FIELDS
        if path in declared and not values_equal(path, live.get(path), declared[path])
    )


def _queue_notes(
    spec: QueueSpec, current: LiveQueue | None, changes: list[Change]
) -> list[Note]:
    if current is None:
        return []
    notes = []
    if spec.state is None and current.state != "RUNNING":
        notes.append(
            Note(
                NoteKind.PAUSED_OUTSIDE,
                spec.key,
                f"live state is {current.state} but the manifest declares no "
                "state: left as it is",
            )
        )
    updating = any(change.action is Action.UPDATE for change in changes)
    rate = current.settings.get("rate_limits.max_dispatches_per_second")
    if (
        updating
        and isinstance(rate, float)
        and current.max_burst_size != (implied_burst(rate))
    ):
        notes.append(
            Note(
                NoteKind.BURST_RESET,
                spec.key,
                f"max_burst_size is {current.max_burst_size}; the update resets "
                "it to what max_dispatches_per_second implies",
            )
        )
    return notes


def _unmanaged(
    manifest: Manifest, observed: Mapping[QueueKey, LiveQueue]
) -> list[Note]:
    declared = {spec.key for spec in manifest.queues}
    return [
        Note(NoteKind.UNMANAGED, key, "not in the manifest: left untouched")
        for key in sorted(observed)
        if key not in declared
    ]
