"""Loading and checking manifests: YAML → :class:`Manifest` of queue specs.

This package must stay free of grpc and google-cloud imports: ``validate``
runs as a pre-commit hook and has to start fast.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path

from queuekeeper.errors import ManifestError, Problem
from queuekeeper.manifest.build import build_specs, duplicate_problems
from queuekeeper.manifest.model import Manifest, QueueKey, QueueSpec
from queuekeeper.manifest.schema import check_schema
from queuekeeper.manifest.yamlload import load_document

__all__ = [
    "Manifest",
    "QueueKey",
    "QueueSpec",
    "check_files",
    "load_manifest",
    "parse_text",
]


def _read(path: str) -> tuple[list[QueueSpec], list[Problem]]:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc)
        return [], [Problem(path, 1, "", f"cannot read the file: {reason}")]
    return _parse(path, text, os.environ)


def _parse(
    path: str, text: str, environ: Mapping[str, str]
) -> tuple[list[QueueSpec], list[Problem]]:
    doc = load_document(path, text, environ)
    if doc.data is None:
        return [], doc.problems
    failed = check_schema(doc)
    specs = build_specs(doc, failed)
    return specs, doc.problems


def _collect(paths: Iterable[str]) -> tuple[list[QueueSpec], list[Problem]]:
    specs: list[QueueSpec] = []
    problems: list[Problem] = []
    for path in paths:
        found, wrong = _read(path)
        specs.extend(found)
        problems.extend(wrong)
    return _with_duplicates(specs, problems)


def parse_text(
    name: str, text: str, environ: Mapping[str, str]
) -> tuple[list[QueueSpec], list[Problem]]:
    """Specs and problems of one manifest given as text (``name`` for errors)."""
    return _with_duplicates(*_parse(name, text, environ))


def _with_duplicates(
    specs: list[QueueSpec], problems: list[Problem]
) -> tuple[list[QueueSpec], list[Problem]]:
    for spec, message in duplicate_problems(specs):
        problems.append(
            Problem(spec.file, spec.line, "", message, "remove one of them")
        )
    problems.sort(key=lambda p: (p.file, p.line))
    return specs, problems


def check_files(paths: Iterable[str]) -> list[Problem]:
    """Every problem in each file, each file checked on its own."""
    problems: list[Problem] = []
    for path in paths:
        problems.extend(_collect([path])[1])
    return problems


def load_manifest(paths: Iterable[str]) -> Manifest:
    """Load one or more files as one manifest; raise with every problem."""
    files = tuple(paths)
    specs, problems = _collect(files)
    if problems:
        raise ManifestError(problems)
    return Manifest(queues=tuple(specs), files=files)
