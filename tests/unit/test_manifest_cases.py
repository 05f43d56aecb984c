"""Every example manifest: the valid ones load, the invalid ones fail as told."""

from __future__ import annotations

from pathlib import Path

import pytest

from queuekeeper.manifest import check_files, load_manifest
from tests.conftest import EXPECTED, INVALID, VALID


@pytest.mark.parametrize("path", VALID, ids=lambda p: p.name)
def test_valid_example_loads_without_problems(path: Path) -> None:
    manifest = load_manifest([str(path)])
    assert manifest.queues
    assert check_files([str(path)]) == []


@pytest.mark.parametrize("path", INVALID, ids=lambda p: p.name)
def test_invalid_example_fails_at_the_expected_line_with_the_expected_words(
    path: Path,
) -> None:
    expected = EXPECTED[path.name]
    problems = check_files([str(path)])
    assert problems, "an invalid example must produce a problem"
    matching = [
        p
        for p in problems
        if p.line == expected["line"]
        and p.file == str(path)
        and all(word.lower() in str(p).lower() for word in expected["mentions"])
    ]
    assert matching, f"no problem at line {expected['line']}: {problems}"


def test_every_invalid_example_has_an_expectation() -> None:
    assert {p.name for p in INVALID} == set(EXPECTED) - {"_about"}
