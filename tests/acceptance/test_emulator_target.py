"""``--emulator``: an embedded emulator whose state outlives the command."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from queuekeeper.cli import main
from queuekeeper.emulator import Emulator
from tests.acceptance.conftest import RunCli, RunProcess, WriteManifest
from tests.conftest import FIXTURES

TWO_QUEUES = """\
version: 1
project: p1
location: us-central1
queues:
  - name: orders
    rate_limits: {max_concurrent_dispatches: 20}
  - name: emails
    retry_config: {max_attempts: 5}
    state: paused
"""
ONE_QUEUE = """\
version: 1
project: p1
location: us-central1
queues:
  - name: orders
"""


def test_a_second_run_sees_the_queues_of_the_first_in_the_configured_database(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    manifest: WriteManifest,
    queuekeeper: RunCli,
) -> None:
    db = tmp_path / "state" / "emulator.sqlite3"
    monkeypatch.setenv("QUEUEKEEPER_EMULATOR_DB", str(db))
    path = manifest(TWO_QUEUES)

    applied = queuekeeper("apply", "-f", path, "--emulator", "--auto-approve")
    planned = queuekeeper("plan", "-f", path, "--emulator", "--detailed-exitcode")
    other = queuekeeper(
        "plan", "-f", manifest(ONE_QUEUE, name="one.yaml"), "--emulator"
    )

    assert applied.code == 0
    assert "Apply: 3 done, 0 failed" in applied.out
    assert db.is_file()
    assert planned.code == 0
    assert "No changes" in planned.out
    assert "unmanaged: projects/p1/locations/us-central1/queues/emails" in other.out


def test_the_embedded_emulator_keeps_its_state_in_the_working_directory_by_default(
    tmp_path: Path, manifest: WriteManifest, queuekeeper: RunCli
) -> None:
    path = manifest(TWO_QUEUES)

    applied = queuekeeper("apply", "-f", path, "--emulator", "--auto-approve")
    planned = queuekeeper("plan", "-f", path, "--emulator", "--detailed-exitcode")

    assert applied.code == 0
    assert (tmp_path / ".queuekeeper" / "emulator.sqlite3").is_file()
    assert planned.code == 0


def test_the_emulator_option_wins_over_cloud_tasks_emulator_host(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    emulator: Emulator,
    manifest: WriteManifest,
    queuekeeper: RunCli,
) -> None:
    monkeypatch.setenv("QUEUEKEEPER_EMULATOR_DB", str(tmp_path / "embedded.sqlite3"))

    run = queuekeeper(
        "apply", "-f", manifest(TWO_QUEUES), "--emulator", "--auto-approve"
    )

    assert run.code == 0
    assert emulator.call_counts == {}


def test_the_demo_flow_applies_once_and_then_has_nothing_to_do(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    manifest: WriteManifest,
    queuekeeper_process: RunProcess,
) -> None:
    monkeypatch.setenv("QUEUEKEEPER_EMULATOR_DB", str(tmp_path / "demo.sqlite3"))
    path = manifest(TWO_QUEUES)

    first = queuekeeper_process("apply", "-f", path, "--emulator", "--auto-approve")
    second = queuekeeper_process("apply", "-f", path, "--emulator", "--auto-approve")
    plan = queuekeeper_process("plan", "-f", path, "--emulator", "--detailed-exitcode")

    assert first.returncode == 0, first.stderr
    assert "3 done" in first.stdout
    assert second.returncode == 0, second.stderr
    assert "No changes" in second.stdout
    assert "done" not in second.stdout
    assert plan.returncode == 0, plan.stderr


@pytest.mark.parametrize("kind", ["a-directory", "not-a-database"])
def test_an_unusable_emulator_database_is_an_error_to_fix_not_a_crash(
    kind: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    manifest: WriteManifest,
    queuekeeper: RunCli,
) -> None:
    db = tmp_path / "state"
    if kind == "a-directory":
        db.mkdir()
    else:
        db.write_text("these are not the bytes of a SQLite database\n" * 100)
    monkeypatch.setenv("QUEUEKEEPER_EMULATOR_DB", str(db))

    run = queuekeeper("plan", "-f", manifest(TWO_QUEUES), "--emulator")

    assert run.code == 1, run.err
    assert str(db) in run.err
    assert "crashed" not in run.err


def test_an_unreachable_emulator_host_is_a_clear_error_not_a_long_retry(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setenv("CLOUD_TASKS_EMULATOR_HOST", f"127.0.0.1:{port}")
    manifest = FIXTURES / "valid" / "web-app.yaml"
    assert main(["plan", "-f", str(manifest)]) == 1
    err = capsys.readouterr().err
    assert f"cannot reach a Cloud Tasks emulator at 127.0.0.1:{port}" in err


def test_pointing_the_emulator_host_at_the_rest_port_is_a_clear_error(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with Emulator() as emulator:
        monkeypatch.setenv("CLOUD_TASKS_EMULATOR_HOST", emulator.rest_address)
        manifest = FIXTURES / "valid" / "web-app.yaml"
        assert main(["plan", "-f", str(manifest)]) == 1
    assert "does not speak gRPC" in capsys.readouterr().err


@pytest.mark.parametrize("host", ["localhost", "127.0.0.1:99999", "http://127.0.0.1:1"])
def test_a_malformed_emulator_address_is_named_with_the_expected_form(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], host: str
) -> None:
    monkeypatch.setenv("CLOUD_TASKS_EMULATOR_HOST", host)
    manifest = FIXTURES / "valid" / "web-app.yaml"
    assert main(["plan", "-f", str(manifest)]) == 1
    err = capsys.readouterr().err
    assert f"the emulator address {host!r} is not of the form host:port" in err
