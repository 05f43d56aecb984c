"""A TaskManager's settings: the checks, and the ``task_manager:`` block.

The block is read with the manifest's YAML loader, so ``${VAR}``
interpolation, duplicate keys and the JSON Schema behave as in a manifest,
and every problem is reported with its file and line. A file that also
declares ``queues:`` is a manifest too: its queues become the declarations
auto-create uses. A file with ``task_manager:`` and no ``queues:`` is a config
file only (``queuekeeper validate`` accepts both).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from queuekeeper import limits
from queuekeeper.client.queues import QueueOptions
from queuekeeper.client.urls import BaseUrl
from queuekeeper.errors import ConfigError, Problem
from queuekeeper.manifest import MAX_BYTES, Manifest
from queuekeeper.manifest.build import build_specs, duplicate_problems
from queuekeeper.manifest.schema import check_schema
from queuekeeper.manifest.values import parse_max_attempts, parse_rate
from queuekeeper.manifest.yamlload import Document, Path, load_document

TEST_MODE_ENV = "TEST_MODE"
_TRUE = ("1", "true", "yes", "on")
_FALSE = ("", "0", "false", "no", "off")
BLOCK = "task_manager"


def check_project(project: object) -> str:
    if not isinstance(project, str) or not limits.PROJECT_ID.fullmatch(project):
        raise ValueError(f"project {project!r} is not a valid project id")
    return project


def check_location(location: object) -> str:
    if not isinstance(location, str) or not limits.LOCATION_ID.fullmatch(location):
        raise ValueError(
            f"location {location!r} is not a valid location id (e.g. europe-west1)"
        )
    return location


def check_auth_key(auth_key: object) -> str | None:
    if auth_key is None:
        return None
    if not isinstance(auth_key, str) or not auth_key:
        # No value in the message: it may be most of a secret.
        raise ValueError("auth_key must be a non-empty string (or None: no X-API-Key)")
    if any(c in auth_key for c in "\r\n"):
        raise ValueError("auth_key must not contain a line break")
    return auth_key


def test_mode_from(environ: Mapping[str, str]) -> bool:
    """Whether ``$TEST_MODE`` turns test mode on; refuses what it cannot read."""
    text = environ.get(TEST_MODE_ENV, "").strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ConfigError(
        f"{TEST_MODE_ENV}={text!r} is neither true nor false",
        hint="use true/false, 1/0, yes/no or on/off",
    )


def manifest_scope(
    manifest: Manifest, project: str | None, location: str | None
) -> tuple[str, str]:
    """The project and location given, else the one pair the manifest's
    queues (that match what was given) are declared in."""
    if project is not None and location is not None:
        return project, location
    scopes = [
        (p, loc)
        for p, loc in manifest.scopes()
        if project in (None, p) and location in (None, loc)
    ]
    if len(scopes) != 1:
        raise ConfigError(
            f"the manifest declares queues in {len(scopes)} matching "
            "project/location pairs, not one",
            hint="pass project= and location=",
        )
    return scopes[0]


def load_config(path: str | os.PathLike[str]) -> dict[str, Any]:
    """TaskManager keyword arguments from a file's ``task_manager:`` block."""
    name = os.fspath(path)
    doc = load_document(name, _read(name), os.environ)
    failed = check_schema(doc) if doc.data is not None else set()
    settings = _settings(doc, failed | doc.tainted)
    if isinstance(doc.data, dict) and "queues" in doc.data:
        specs = build_specs(doc, failed)
        for spec, message in duplicate_problems(specs):
            doc.problems.append(Problem(spec.file, spec.line, "", message))
        settings["declarations"] = tuple(specs)
    if doc.problems:
        problems = sorted(set(doc.problems), key=lambda p: (p.line, p.path))
        noun = "problem" if len(problems) == 1 else "problems"
        raise ConfigError(f"{len(problems)} {noun} in {name}", problems=problems)
    return settings


def _read(name: str) -> str:
    try:
        with open(name, "rb") as file:
            raw = file.read(MAX_BYTES + 1)
    except OSError as exc:
        raise ConfigError(f"cannot read {name}: {exc.strerror or exc}") from exc
    if len(raw) > MAX_BYTES:
        raise ConfigError(f"{name} is larger than {MAX_BYTES // 2**20} MB")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{name} is not UTF-8 text", hint="save it as UTF-8") from exc


def _settings(doc: Document, skip: set[Path]) -> dict[str, Any]:
    data = doc.data if isinstance(doc.data, dict) else None
    if data is None:
        return {}
    block = data.get(BLOCK)
    if BLOCK not in data:
        doc.problem(
            (),
            "no task_manager: block",
            "add one with project, location "
            'and base_url (and auth_key: "${WEBHOOK_API_KEY}")',
        )
    if not isinstance(block, dict) or _blocked((BLOCK,), skip):
        return {}
    checks = {
        "project": check_project,
        "location": check_location,
        "base_url": BaseUrl.parse,
        "auth_key": check_auth_key,
    }
    settings: dict[str, Any] = {}
    for key, check in checks.items():
        path: Path = (BLOCK, key)
        if key in block and not _blocked(path, skip):
            try:
                check(block[key])
            except ValueError as exc:
                doc.problem(path, str(exc))
            settings[key] = block[key]
    if "auto_create" in block:  # the schema made sure it is a boolean
        settings["auto_create"] = block["auto_create"]
    options = _queue_options(doc, block.get("queue_options"), skip)
    if options is not None:
        settings["queue_options"] = options
    return settings


def _queue_options(doc: Document, raw: Any, skip: set[Path]) -> QueueOptions | None:
    path: Path = (BLOCK, "queue_options")
    inner = any(s[: len(path)] == path for s in skip)  # reported already
    if not isinstance(raw, dict) or _blocked(path, skip) or inner:
        return None
    try:
        return QueueOptions(
            max_dispatches_per_second=_maybe(
                parse_rate, raw, "max_dispatches_per_second"
            ),
            max_concurrent_dispatches=_maybe(int, raw, "max_concurrent_dispatches"),
            max_attempts=_maybe(parse_max_attempts, raw, "max_attempts"),
        )
    except (ValueError, ArithmeticError, ConfigError) as exc:
        doc.problem(path, str(exc))
        return None


def _maybe(parse: Any, raw: Mapping[str, Any], key: str) -> Any:
    return parse(raw[key]) if key in raw else None


def _blocked(path: Path, skip: set[Path]) -> bool:
    """Whether a problem was already reported at ``path`` or above it."""
    return any(path[: i + 1] in skip for i in range(len(path)))
