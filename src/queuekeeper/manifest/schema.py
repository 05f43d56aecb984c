"""JSON Schema validation with messages a person can act on.

The schema (``schemas/queues.schema.json``, shipped in the package) is the
published contract that editors and ``check-jsonschema`` read; this module
turns its errors into :class:`~queuekeeper.errors.Problem` records with the
line of the offending key and wording of our own (``x-error`` in the schema).
"""

from __future__ import annotations

import difflib
import functools
import json
from importlib import resources
from typing import Any

import jsonschema
from jsonschema.exceptions import ValidationError

from queuekeeper.manifest.yamlload import Document, Path, shown

# Keys whose values may be credentials: messages never repeat them.
SECRET_KEYS = frozenset({"header_overrides", "auth_key"})

OUTPUT_ONLY_HINTS = {
    "max_burst_size": (
        "max_burst_size is output-only in the Cloud Tasks v2 API: the service "
        "derives it from max_dispatches_per_second and ignores any value sent",
        "remove it; set max_dispatches_per_second instead",
    ),
}


@functools.cache
def schema() -> dict[str, Any]:
    text = resources.files("queuekeeper").joinpath("schemas/queues.schema.json")
    loaded: dict[str, Any] = json.loads(text.read_text(encoding="utf-8"))
    return loaded


@functools.cache
def _validator() -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(_inline(schema(), schema()["$defs"]))


def _inline(node: Any, defs: dict[str, Any]) -> Any:
    """The schema with every local ``$ref`` replaced by its definition.

    Resolving a reference is most of jsonschema's time on a valid manifest
    (five per queue); the published schema keeps its ``$defs`` for readers.
    """
    if isinstance(node, list):
        return [_inline(item, defs) for item in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        target = defs[node["$ref"].removeprefix("#/$defs/")]
        rest = {k: v for k, v in node.items() if k != "$ref"}
        return {**_inline(target, defs), **_inline(rest, defs)}
    return {k: _inline(v, defs) for k, v in node.items() if k != "$defs"}


def check_schema(doc: Document) -> set[Path]:
    """Record every schema problem on ``doc``; return the paths that failed."""
    failed: set[Path] = set()
    errors = sorted(_validator().iter_errors(doc.data), key=lambda e: e.json_path)
    for error in errors:
        path: Path = tuple(error.absolute_path)
        if path in doc.tainted:
            continue
        failed.add(path)
        _describe(doc, path, error)
    return failed


def _describe(doc: Document, path: Path, error: ValidationError) -> None:
    validator = error.validator
    instance: Any = error.instance
    if validator == "additionalProperties" and isinstance(instance, dict):
        _unknown_keys(doc, path, instance, _schema_of(error))
    elif validator == "required":
        required: list[str] = list(error.validator_value)  # type: ignore[arg-type]
        missing = [k for k in required if k not in instance]
        doc.problem(path, "missing required key " + ", ".join(map(repr, missing)))
    elif not path and validator == "type":
        doc.problem(
            path,
            f"the top level must be a mapping, not {shown(instance)}",
            "start with version: 1, project, location and queues",
        )
    elif path == ("version",):
        doc.problem(
            path,
            f"unsupported version {shown(instance)}",
            "this queuekeeper reads manifests of version 1",
        )
    else:
        secret = bool(SECRET_KEYS & set(path))
        doc.problem(path, _wrong_value(error, secret=secret), _hint(error, secret))


def _hint(error: ValidationError, secret: bool) -> str | None:
    """Advice for the two common slips a bare scalar makes."""
    if error.validator != "type" or error.validator_value != "string":
        return None
    if secret or "header_overrides" in error.absolute_path:
        return 'quote it ("${VAR}" or "123") so YAML keeps it as text'
    if "duration" in str(_schema_of(error).get("x-error", "")):
        return f"durations need a unit: {error.instance}s, {error.instance}m, ..."
    return None


def _schema_of(error: ValidationError) -> dict[str, Any]:
    return error.schema if isinstance(error.schema, dict) else {}


def _unknown_keys(
    doc: Document, path: Path, instance: dict[str, Any], schema: dict[str, Any]
) -> None:
    allowed = sorted(schema.get("properties", {}))
    for key in instance:
        if key in allowed:
            continue
        if key in OUTPUT_ONLY_HINTS:
            message, hint = OUTPUT_ONLY_HINTS[key]
            doc.problem((*path, key), message, hint)
            continue
        close = difflib.get_close_matches(str(key), allowed, n=1)
        hint = (
            f"did you mean {close[0]!r}?"
            if close
            else ("allowed here: " + ", ".join(allowed))
        )
        doc.problem((*path, key), f"unknown key {key!r}", hint)


_TYPE_WORDS = {
    "object": "a mapping",
    "array": "a list",
    "string": "a string",
    "integer": "an integer",
    "number": "a number",
}


def _wrong_value(error: ValidationError, *, secret: bool) -> str:
    """What is wrong, naming the value unless it may be a credential."""
    value = "this value" if secret else shown(error.instance)
    expected = _schema_of(error).get("x-error")
    if error.validator == "type":
        wanted = _TYPE_WORDS.get(str(error.validator_value), str(error.validator_value))
        got = "another type" if secret else shown(error.instance)
        return f"expected {wanted}, got {got}"
    if error.validator in ("maximum", "exclusiveMaximum"):
        return f"{value} is above the maximum of {error.validator_value}"
    if error.validator in ("minimum", "exclusiveMinimum"):
        return f"{value} is below the minimum of {error.validator_value}"
    if error.validator == "minProperties":
        return f"{value} must not be empty"
    if expected:
        return f"{value} is not valid here: expected {expected}"
    return "this value is not valid here" if secret else error.message
