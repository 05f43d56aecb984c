"""Plans as JSON: for ``plan --format json`` and for saved plan files.

A saved plan carries the declared values it will send, the target it was made
against, and, for every queue it touches, the fingerprint of the live queue it
was planned against, so ``apply plan.json`` can refuse when the target differs
or the live queues changed in between. Plan files are files a person can
edit: every part is checked on load, nothing is trusted on the way to the API.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from collections import Counter
from typing import Any

import jsonschema

from queuekeeper import limits
from queuekeeper.errors import PlanFileError
from queuekeeper.fields import FIELDS, Kind, Value, redact, to_json
from queuekeeper.manifest import QueueKey
from queuekeeper.plan import Action, Change, FieldDiff, Note, NoteKind, Plan

FORMAT = "queuekeeper-plan"
# What `plan --format json` prints: the same data with credentials redacted,
# marked so that `apply` never sends "(redacted)" as a header value.
REPORT_FORMAT = "queuekeeper-plan-report"
FORMAT_VERSION = 1
# Plans of 10,000 queues are a few MB; reading stops beyond this.
MAX_BYTES = 64 * 1024 * 1024


def _whole(pattern: re.Pattern[str]) -> dict[str, str]:
    # JSON Schema patterns search; anchored, they match whole ids as fullmatch.
    return {"type": "string", "pattern": f"^(?:{pattern.pattern})$"}


_KEY = {
    "type": "object",
    "required": ["project", "location", "name"],
    "additionalProperties": False,
    "properties": {
        "project": _whole(limits.PROJECT_ID),
        "location": _whole(limits.LOCATION_ID),
        "name": _whole(limits.QUEUE_ID),
    },
}
_FILE_SCHEMA = {
    "type": "object",
    "required": ["format", "format_version", "target", "changes"],
    "properties": {
        "target": {"type": "string"},
        "changes": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["action", "queue", "diffs", "settings", "fingerprint"],
                "properties": {
                    "action": {"enum": [a.value for a in Action]},
                    "queue": _KEY,
                    "diffs": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "required": ["path", "old", "new"],
                            "properties": {"path": {"enum": list(FIELDS)}},
                        },
                    },
                    "settings": {
                        "type": "object",
                        "propertyNames": {"enum": list(FIELDS)},
                    },
                    "fingerprint": {"type": ["string", "null"]},
                },
            },
        },
        "notes": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["kind", "queue", "message"],
                "properties": {
                    "kind": {"enum": [k.value for k in NoteKind]},
                    "queue": _KEY,
                    "message": {"type": "string"},
                },
            },
        },
    },
}


def _key(key: QueueKey) -> dict[str, str]:
    return {"project": key.project, "location": key.location, "name": key.name}


def _value(path: str, value: Any, *, secrets: bool, compared: Any = None) -> Any:
    return to_json(value if secrets else redact(path, value, compared))


def plan_to_dict(plan: Plan, *, secrets: bool = False) -> dict[str, Any]:
    """The plan as JSON data; credentials are redacted unless ``secrets``."""
    return {
        "format": FORMAT if secrets else REPORT_FORMAT,
        "format_version": FORMAT_VERSION,
        "has_changes": plan.has_changes,
        "changes": [
            {
                "action": change.action.value,
                "queue": _key(change.key),
                "diffs": [
                    {
                        "path": d.path,
                        "old": _value(d.path, d.old, secrets=secrets),
                        "new": _value(d.path, d.new, secrets=secrets, compared=d.old),
                    }
                    for d in change.diffs
                ],
                "settings": {
                    p: _value(p, v, secrets=secrets) for p, v in change.settings.items()
                },
                "fingerprint": plan.fingerprints.get(change.key),
            }
            for change in plan.changes
        ],
        "notes": [
            {"kind": n.kind.value, "queue": _key(n.key), "message": n.message}
            for n in plan.notes
        ],
    }


def save_plan(plan: Plan, path: str, target: str) -> None:
    """Write a plan that ``apply`` can run against ``target``, owner-only."""
    data = {**plan_to_dict(plan, secrets=True), "target": target}
    text = json.dumps(data, indent=2) + "\n"
    # A new file, created 0600, then renamed over the target: an existing file
    # keeps neither its wider mode nor a symlink to somewhere else.
    folder = os.path.dirname(os.path.abspath(path))
    try:
        descriptor, temporary = tempfile.mkstemp(prefix=".plan-", dir=folder)
        with os.fdopen(descriptor, "w", encoding="utf-8") as file:
            file.write(text)
        os.replace(temporary, path)
    except OSError as exc:
        raise PlanFileError(
            f"cannot write the plan to {path}: {exc.strerror or exc}"
        ) from exc


def load_plan(path: str) -> tuple[Plan, str]:
    """A saved plan and the target it was made against; raises if unusable."""
    data = _read(path)
    problems = sorted(
        jsonschema.Draft202012Validator(_FILE_SCHEMA).iter_errors(data),
        key=lambda e: e.json_path,
    )
    if problems:
        first = problems[0]
        raise PlanFileError(f"{path} is damaged: at {first.json_path}: {first.message}")
    try:
        return _plan_from_dict(data), data["target"]
    except ValueError as exc:
        raise PlanFileError(f"{path} is damaged: {exc}") from exc


def _read(path: str) -> Any:
    hint = None
    if path.endswith((".yaml", ".yml")):
        hint = f"to apply a manifest, pass it with -f: queuekeeper apply -f {path}"
    try:
        with open(path, "rb") as file:
            raw = file.read(MAX_BYTES + 1)
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise PlanFileError(f"cannot read plan file {path}: {reason}") from exc
    if len(raw) > MAX_BYTES:
        raise PlanFileError(f"{path} is larger than any plan ({MAX_BYTES // 2**20} MB)")
    try:
        data = json.loads(raw.decode("utf-8"))
    except (ValueError, RecursionError) as exc:
        raise PlanFileError(
            f"{path} is not a plan file (not JSON: {exc})", hint=hint
        ) from exc
    if isinstance(data, dict) and data.get("format") == REPORT_FORMAT:
        raise PlanFileError(
            f"{path} is a printed plan report with credentials redacted, "
            "not a saved plan",
            hint="save a plan to apply with `queuekeeper plan --out FILE`",
        )
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise PlanFileError(f"{path} is not a queuekeeper plan file", hint=hint)
    version = data.get("format_version")
    if type(version) is not int or version != FORMAT_VERSION:
        raise PlanFileError(
            f"{path} has plan format version {data.get('format_version')!r}; "
            f"this queuekeeper reads version {FORMAT_VERSION}",
            hint="make the plan again with this version",
        )
    return data


def _plan_from_dict(data: dict[str, Any]) -> Plan:
    changes = [_change(item) for item in data["changes"]]
    repeated = [
        c for c, n in Counter((c.action, c.key) for c in changes).items() if n > 1
    ]
    if repeated:
        action, key = repeated[0]
        raise ValueError(f"{action.value} of {key} appears twice")
    fingerprints = {
        QueueKey(**item["queue"]): item["fingerprint"] for item in data["changes"]
    }
    _check_per_queue(changes, fingerprints)
    notes = tuple(
        Note(NoteKind(n["kind"]), QueueKey(**n["queue"]), n["message"])
        for n in data.get("notes", [])
    )
    return Plan(tuple(changes), notes, fingerprints)


# What one queue's changes may be, in order: what `make_plan` produces.
_CHAINS = {
    (Action.CREATE,),
    (Action.CREATE, Action.PAUSE),
    (Action.UPDATE,),
    (Action.UPDATE, Action.PAUSE),
    (Action.UPDATE, Action.RESUME),
    (Action.PAUSE,),
    (Action.RESUME,),
}


def _check_per_queue(
    changes: list[Change], fingerprints: dict[QueueKey, str | None]
) -> None:
    chains: dict[QueueKey, tuple[Action, ...]] = {}
    for change in changes:
        chains[change.key] = (*chains.get(change.key, ()), change.action)
    for key, chain in chains.items():
        if chain not in _CHAINS:
            actions = ", ".join(a.value for a in chain)
            raise ValueError(f"{key} has changes that cannot go together: {actions}")
        creating = chain[0] is Action.CREATE
        if creating != (fingerprints[key] is None):
            state = "a queue to create" if creating else "an existing queue"
            raise ValueError(f"{key}: the fingerprint does not fit {state}")


def _change(item: dict[str, Any]) -> Change:
    key = QueueKey(**item["queue"])
    action = Action(item["action"])
    diffs = tuple(
        FieldDiff(
            d["path"],
            from_json(d["path"], d["old"], old=True),
            from_json(d["path"], d["new"]),
        )
        for d in item["diffs"]
    )
    settings = {p: from_json(p, v) for p, v in item["settings"].items()}
    if action is Action.UPDATE and not diffs:
        raise ValueError(f"the update of {key} changes no field")
    if action is not Action.CREATE and settings:
        raise ValueError(f"the {action.value} of {key} carries settings")
    if action is not Action.UPDATE and diffs:
        raise ValueError(f"the {action.value} of {key} carries field changes")
    paths = [d.path for d in diffs]
    if len(set(paths)) != len(paths):
        raise ValueError(f"the update of {key} changes one field twice")
    return Change(
        action, key, diffs, {p: v for p, v in settings.items() if v is not None}
    )


def from_json(path: str, raw: object, *, old: bool = False) -> Value | None:
    """A value of ``path`` read back from JSON; raises ``ValueError``.

    New values must be ones the API accepts; old ones (``old=True``) are only
    shown, and may be null where the live queue had no value.
    """
    if raw is None:
        if old:
            return None
        raise ValueError(f"{path}: a value to send cannot be null")
    value = _shape(FIELDS[path].kind, raw)
    wrong = (
        "not a value of this field"
        if value is None
        else (None if old else limits.problem(path, value))
    )
    if value is None or wrong:
        raise ValueError(f"{path}: {wrong}")
    return value


def _shape(kind: Kind, raw: object) -> Value | None:
    if isinstance(raw, bool):
        return None
    if kind is Kind.PAIRS and isinstance(raw, list):
        pairs = [item for item in raw if isinstance(item, list) and len(item) == 2]
        if len(pairs) != len(raw) or not all(
            isinstance(x, str) for p in pairs for x in p
        ):
            return None
        return tuple((k, v) for k, v in pairs)
    if kind in (Kind.RATE, Kind.RATIO) and isinstance(raw, int | float):
        return float(raw)
    if kind in (Kind.COUNT, Kind.DURATION) and isinstance(raw, int):
        return raw
    if kind is Kind.METHOD and isinstance(raw, str):
        return raw
    return None
