"""Plans as JSON: for ``plan --format json`` and for saved plan files.

A saved plan carries the declared values it will send and, for every queue it
touches, the fingerprint of the live queue it was planned against, so
``apply plan.json`` can refuse when the live queues changed in between.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from queuekeeper.errors import PlanFileError
from queuekeeper.fields import from_json, redact, to_json
from queuekeeper.manifest import QueueKey
from queuekeeper.plan import Action, Change, FieldDiff, Note, NoteKind, Plan

FORMAT = "queuekeeper-plan"
# What `plan --format json` prints: the same data with credentials redacted,
# marked so that `apply` never sends "<redacted>" as a header value.
REPORT_FORMAT = "queuekeeper-plan-report"
FORMAT_VERSION = 1


def _key(key: QueueKey) -> dict[str, str]:
    return {"project": key.project, "location": key.location, "name": key.name}


def _value(path: str, value: Any, *, secrets: bool) -> Any:
    return to_json(value if secrets else redact(path, value))


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
                        "new": _value(d.path, d.new, secrets=secrets),
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


def save_plan(plan: Plan, path: str) -> None:
    """Write a plan that ``apply`` can run; the file holds declared values."""
    target = Path(path)
    target.write_text(json.dumps(plan_to_dict(plan, secrets=True), indent=2) + "\n")
    target.chmod(0o600)


def load_plan(path: str) -> Plan:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise PlanFileError(f"cannot read plan file {path}: {exc}") from exc
    if isinstance(data, dict) and data.get("format") == REPORT_FORMAT:
        raise PlanFileError(
            f"{path} is a printed plan report with credentials redacted, "
            "not a saved plan",
            hint="save a plan to apply with `queuekeeper plan --out FILE`",
        )
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise PlanFileError(f"{path} is not a queuekeeper plan file")
    if data.get("format_version") != FORMAT_VERSION:
        raise PlanFileError(
            f"{path} has plan format version {data.get('format_version')!r}; "
            f"this queuekeeper reads version {FORMAT_VERSION}",
            hint="make the plan again with this version",
        )
    try:
        return _plan_from_dict(data)
    except (KeyError, TypeError, ValueError) as exc:
        raise PlanFileError(f"{path} is damaged: {exc}") from exc


def _plan_from_dict(data: dict[str, Any]) -> Plan:
    changes = []
    fingerprints: dict[QueueKey, str | None] = {}
    for item in data["changes"]:
        key = QueueKey(**item["queue"])
        diffs = tuple(
            FieldDiff(
                d["path"],
                from_json(d["path"], d["old"]),
                from_json(d["path"], d["new"]),
            )
            for d in item["diffs"]
        )
        settings = {p: from_json(p, v) for p, v in item["settings"].items()}
        changes.append(
            Change(
                Action(item["action"]),
                key,
                diffs,
                {p: v for p, v in settings.items() if v is not None},
            )
        )
        fingerprints[key] = item["fingerprint"]
    notes = tuple(
        Note(NoteKind(n["kind"]), QueueKey(**n["queue"]), n["message"])
        for n in data.get("notes", [])
    )
    return Plan(tuple(changes), notes, fingerprints)
