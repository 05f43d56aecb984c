"""``validate``, and ``plan``/``apply`` on invalid manifests: offline, file:line."""

from __future__ import annotations

from pathlib import Path

import pytest

from queuekeeper.emulator import Emulator
from tests.acceptance.conftest import Run, RunCli
from tests.conftest import EXPECTED, INVALID, VALID


def reported_at(run: Run, path: Path) -> list[str]:
    """The lines of the output that point at the expected file and line."""
    where = f"{path}:{EXPECTED[path.name]['line']}:"
    return [line for line in run.output.splitlines() if line.startswith(where)]


@pytest.mark.parametrize("path", INVALID, ids=lambda p: p.name)
def test_validate_reports_an_invalid_example_with_file_line_and_words(
    path: Path, queuekeeper: RunCli
) -> None:
    run = queuekeeper("validate", path)

    assert run.code == 1
    lines = reported_at(run, path)
    assert lines, f"nothing reported at the expected line:\n{run.output}"
    mentions = [word.lower() for word in EXPECTED[path.name]["mentions"]]
    assert any(all(word in line.lower() for word in mentions) for line in lines), (
        run.output
    )
    assert "problem" in run.err


@pytest.mark.parametrize("command", ["plan", "apply"])
@pytest.mark.parametrize("path", INVALID, ids=lambda p: p.name)
def test_an_invalid_manifest_fails_before_any_api_call(
    path: Path, command: str, emulator: Emulator, queuekeeper: RunCli
) -> None:
    approve = ["--auto-approve"] if command == "apply" else []
    run = queuekeeper(command, "-f", path, *approve)

    assert run.code == 1
    assert reported_at(run, path), run.output
    assert emulator.call_counts == {}


def test_validate_reports_every_problem_of_every_file(
    queuekeeper: RunCli,
) -> None:
    chosen = [p for p in INVALID if p.name.startswith(("rate-", "misspelled"))]
    files = [chosen[0], VALID[0], *chosen[1:]]

    run = queuekeeper("validate", *files)

    assert run.code == 1
    for path in chosen:
        assert reported_at(run, path), f"{path.name} missing from:\n{run.output}"
    assert str(VALID[0]) not in run.output
    assert f"{len(chosen)} problems found" in run.err


def test_validate_accepts_every_valid_example_at_once(
    queuekeeper: RunCli,
) -> None:
    run = queuekeeper("validate", *VALID)

    assert run.code == 0
    assert f"{len(VALID)} manifests valid" in run.out
    assert run.err == ""


def test_validate_reports_a_missing_file_as_a_problem_not_a_crash(
    tmp_path: Path, queuekeeper: RunCli
) -> None:
    missing = tmp_path / "nowhere.yaml"

    run = queuekeeper("validate", missing)

    assert run.code == 1
    assert f"{missing}:1:" in run.err
    assert "Traceback" not in run.err
