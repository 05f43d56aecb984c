"""Loading and checking manifests: YAML → :class:`Manifest` of queue specs.

This package must stay free of grpc and google-cloud imports: ``validate``
runs as a pre-commit hook and has to start fast.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping

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


# Far above any real manifest (10,000 queues are about 1 MB); reading stops
# there, so `validate /dev/zero` ends with an error instead of all memory.
MAX_BYTES = 16 * 1024 * 1024


def _read(path: str) -> tuple[list[QueueSpec], list[Problem]]:
    try:
        with open(path, "rb") as file:
            raw = file.read(MAX_BYTES + 1)
    except OSError as exc:
        reason = exc.strerror or str(exc)
        return [], [Problem(path, 1, "", f"cannot read the file: {reason}")]
    if len(raw) > MAX_BYTES:
        message = f"the file is larger than {MAX_BYTES // 2**20} MB"
        return [], [Problem(path, 1, "", message)]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        message = f"the file is not UTF-8 text (byte {raw[exc.start]:#04x})"
        return [], [Problem(path, line, "", message, "save it as UTF-8")]
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
    # One bad value can fail more than one schema rule: say it once.
    unique = sorted(set(problems), key=lambda p: (p.file, p.line, p.path))
    return specs, unique


def _distinct(paths: Iterable[str]) -> tuple[str, ...]:
    """The paths, each file once however it is spelled (a.yaml, ./a.yaml)."""
    seen: dict[str, str] = {}
    for path in paths:
        seen.setdefault(os.path.realpath(path), path)
    return tuple(seen.values())


def check_files(paths: Iterable[str]) -> list[Problem]:
    """Every problem in each file, each file checked on its own."""
    problems: list[Problem] = []
    for path in _distinct(paths):
        problems.extend(_collect([path])[1])
    return problems


def load_manifest(paths: Iterable[str]) -> Manifest:
    """Load one or more files as one manifest; raise with every problem."""
    files = _distinct(paths)
    specs, problems = _collect(files)
    if problems:
        raise ManifestError(problems)
    return Manifest(queues=tuple(specs), files=files)
