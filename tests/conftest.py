"""Shared fixtures: the example manifests as parametrized cases."""

from __future__ import annotations

import json
from pathlib import Path

FIXTURES = Path(__file__).parent / "fixtures" / "manifests"
VALID = sorted((FIXTURES / "valid").glob("*.yaml"))
INVALID = sorted((FIXTURES / "invalid").glob("*.yaml"))
EXPECTED = json.loads((FIXTURES / "invalid" / "expected.json").read_text())
