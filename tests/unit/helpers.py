"""Small builders for unit tests of pure code."""

from __future__ import annotations

import textwrap

from queuekeeper.errors import Problem
from queuekeeper.manifest import Manifest, QueueSpec, parse_text

HEADER = "version: 1\nproject: demo\nlocation: europe-west1\n"


def parse(
    body: str, environ: dict[str, str] | None = None, *, header: bool = True
) -> tuple[list[QueueSpec], list[Problem]]:
    text = (HEADER if header else "") + textwrap.dedent(body)
    return parse_text("queues.yaml", text, environ or {})


def manifest(body: str, environ: dict[str, str] | None = None) -> Manifest:
    specs, problems = parse(body, environ)
    assert problems == []
    return Manifest(tuple(specs))
