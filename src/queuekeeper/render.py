"""Plans, apply results and problems as text, Markdown or JSON.

Presentation only: every function takes a result value and returns a string.
Values go through :func:`queuekeeper.fields.format_value`, which redacts
credentials.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence

from queuekeeper.apply import Outcome, Result
from queuekeeper.errors import Problem
from queuekeeper.fields import format_value
from queuekeeper.plan import Action, Change, Plan
from queuekeeper.planfile import plan_to_dict

SYMBOLS = {
    Action.CREATE: "+",
    Action.UPDATE: "~",
    Action.PAUSE: "|",
    Action.RESUME: ">",
}


def _change_lines(change: Change) -> list[str]:
    lines = [f"  {SYMBOLS[change.action]} {change.action.value} {change.key}"]
    for path, value in change.settings.items():
        lines.append(f"      {path}: {format_value(path, value)}")
    for diff in change.diffs:
        old = format_value(diff.path, diff.old)
        new = format_value(diff.path, diff.new, compared=diff.old)
        lines.append(f"      {diff.path}: {old} -> {new}")
    return lines


def summary(plan: Plan) -> str:
    counts = Counter(change.action for change in plan.changes)
    parts = [f"{counts[a]} to {a.value}" for a in Action]
    return "Plan: " + ", ".join(parts) + "."


def plan_text(plan: Plan) -> str:
    lines: list[str] = []
    for change in plan.changes:
        lines.extend(_change_lines(change))
    if not plan.changes:
        lines.append("No changes: the live queues match the manifest.")
    if plan.notes:
        lines.append("")
        lines.append("Notes:")
        lines.extend(f"  - {n.kind.value}: {n.key}: {n.message}" for n in plan.notes)
    if plan.changes:
        lines.extend(["", summary(plan)])
    return "\n".join(lines)


def plan_markdown(plan: Plan) -> str:
    lines = ["### queuekeeper plan", ""]
    if not plan.changes:
        lines.append("No changes: the live queues match the manifest.")
    else:
        lines += ["| action | queue | field | from | to |", "|---|---|---|---|---|"]
    for change in plan.changes:
        rows = [
            (
                d.path,
                format_value(d.path, d.old),
                format_value(d.path, d.new, compared=d.old),
            )
            for d in change.diffs
        ]
        rows += [(p, "", format_value(p, v)) for p, v in change.settings.items()]
        for path, old, new in rows or [("", "", "")]:
            where = f"{change.key.project}/{change.key.location}"
            lines.append(
                f"| {change.action.value} | `{change.key.name}` ({where}) "
                f"| {path} | {_cell(old)} | {_cell(new)} |"
            )
    if plan.notes:
        lines += ["", "**Notes**", ""]
        lines += [f"- {n.kind.value}: `{n.key}`: {n.message}" for n in plan.notes]
    if plan.changes:
        lines += ["", summary(plan)]
    return "\n".join(lines)


def _cell(text: str) -> str:
    """Text safe inside a Markdown table cell."""
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def plan_json(plan: Plan) -> str:
    return json.dumps(plan_to_dict(plan), indent=2)


RENDERERS = {"text": plan_text, "markdown": plan_markdown, "json": plan_json}


def results_text(results: Sequence[Result]) -> str:
    lines = []
    for result in results:
        change = result.change
        line = f"  {result.outcome.value:<8}{change.action.value} {change.key}"
        lines.append(f"{line}: {result.error}" if result.error else line)
    counts = Counter(result.outcome for result in results)
    lines.append("")
    lines.append("Apply: " + ", ".join(f"{counts[o]} {o.value}" for o in Outcome) + ".")
    return "\n".join(lines)


def problems_text(problems: Sequence[Problem]) -> str:
    return "\n".join(str(problem) for problem in problems)
