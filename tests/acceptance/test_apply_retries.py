"""Transient API errors are retried: nothing is lost, nothing is done twice."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest

from queuekeeper.cli import main
from queuekeeper.emulator import Emulator

MANIFEST = """\
version: 1
project: retry-demo
location: europe-west1
queues:
  - name: alpha
    rate_limits: {max_dispatches_per_second: 5}
  - name: beta
    retry_config: {max_attempts: 4, max_doublings: 0}
  - name: gamma
    state: paused
"""


@pytest.fixture
def emulator(monkeypatch: pytest.MonkeyPatch) -> Iterator[Emulator]:
    with Emulator() as emu:
        monkeypatch.setenv("CLOUD_TASKS_EMULATOR_HOST", emu.address)
        yield emu


@pytest.fixture
def manifest(tmp_path: Path) -> str:
    path = tmp_path / "queues.yaml"
    path.write_text(MANIFEST)
    return str(path)


def plan_exit_code(manifest: str) -> int:
    return main(["plan", "-f", manifest, "--detailed-exitcode"])


def test_unavailable_creates_are_retried_until_they_succeed(
    emulator: Emulator, manifest: str
) -> None:
    emulator.inject_fault("CreateQueue", grpc.StatusCode.UNAVAILABLE, count=2)
    assert main(["apply", "-f", manifest, "--auto-approve"]) == 0
    assert emulator.call_counts["CreateQueue"] == 3 + 2
    assert plan_exit_code(manifest) == 0


def test_a_create_whose_answer_was_lost_is_not_done_twice(
    emulator: Emulator, manifest: str, capsys: pytest.CaptureFixture[str]
) -> None:
    emulator.inject_fault(
        "CreateQueue", grpc.StatusCode.DEADLINE_EXCEEDED, count=1, when="after"
    )
    assert main(["apply", "-f", manifest, "--auto-approve"]) == 0
    assert "4 done, 0 failed" in capsys.readouterr().out
    # The retried create found the queue made and converged it with an update.
    assert emulator.call_counts["CreateQueue"] == 3 + 1
    assert plan_exit_code(manifest) == 0


@pytest.mark.parametrize(
    "code",
    [
        grpc.StatusCode.UNAVAILABLE,
        grpc.StatusCode.RESOURCE_EXHAUSTED,
        grpc.StatusCode.DEADLINE_EXCEEDED,
    ],
)
def test_listing_is_retried_on_transient_errors(
    emulator: Emulator, manifest: str, code: grpc.StatusCode
) -> None:
    emulator.inject_fault("ListQueues", code, count=1)
    assert plan_exit_code(manifest) == 2
    assert emulator.call_counts["ListQueues"] == 2


def test_a_permanent_error_fails_only_its_own_queue(
    emulator: Emulator, manifest: str, capsys: pytest.CaptureFixture[str]
) -> None:
    emulator.inject_fault("PauseQueue", grpc.StatusCode.PERMISSION_DENIED, count=1)
    assert main(["apply", "-f", manifest, "--auto-approve"]) == 1
    out = capsys.readouterr().out
    assert "failed  pause" in out and "PERMISSION_DENIED" in out
    assert "3 done, 1 failed" in out
    assert plan_exit_code(manifest) == 2
    assert main(["apply", "-f", manifest, "--auto-approve"]) == 0
    assert plan_exit_code(manifest) == 0


def test_an_outage_that_outlasts_the_retries_skips_the_changes_not_yet_tried(
    emulator: Emulator, manifest: str, capsys: pytest.CaptureFixture[str]
) -> None:
    emulator.inject_fault("CreateQueue", grpc.StatusCode.UNAVAILABLE)
    code = main(
        [
            "apply",
            "-f",
            manifest,
            "--auto-approve",
            "--parallelism",
            "1",
            "--retry-deadline",
            "0.5",
        ]
    )
    out = capsys.readouterr().out
    assert code == 1
    assert out.count("failed  create") == 1
    assert out.count("not tried: Cloud Tasks is unavailable") == 2
    assert "0 done, 1 failed, 3 skipped" in out
