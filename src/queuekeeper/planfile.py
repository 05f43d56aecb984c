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

_NAME = {"type": "string", "minLength": 1}
_KEY = {
    "type": "object",
    "required": ["project", "location", "name"],
    "additionalProperties": False,
    "properties": {"project": _NAME, "location": _NAME, "name": _NAME},
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
    try:
        # Created 0600 from the start: the file holds the declared values.
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as file:
            file.write(text)
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
        with open(path, encoding="utf-8") as file:
            data = json.load(file)
    except (OSError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc)
        raise PlanFileError(f"cannot read plan file {path}: {reason}") from exc
    except ValueError as exc:
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
    if data.get("format_version") != FORMAT_VERSION:
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
    notes = tuple(
        Note(NoteKind(n["kind"]), QueueKey(**n["queue"]), str(n["message"]))
        for n in data.get("notes", [])
        if isinstance(n, dict)
        and n.get("kind") in {k.value for k in NoteKind}
        and isinstance(n.get("queue"), dict)
    )
    return Plan(tuple(changes), notes, fingerprints)


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
