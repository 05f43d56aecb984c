"""Header values that are credentials: sent to the API, never shown."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from queuekeeper.emulator import Emulator
from tests.acceptance.conftest import (
    RunCli,
    RunProcess,
    Side,
    WriteManifest,
    queue_path,
)

SECRET = "s3cr3t"
WITH_SECRET = f"""\
version: 1
project: p1
location: us-central1
queues:
  - name: hooks
    http_target:
      header_overrides:
        Authorization: "Bearer {SECRET}"
        X-Source: queuekeeper
"""
HOOKS = queue_path("p1", "us-central1", "hooks")


def live_headers(side: Side) -> dict[str, str]:
    queue = side.get(HOOKS)
    return {h.header.key: h.header.value for h in queue.http_target.header_overrides}


@pytest.mark.parametrize("output", ["text", "json", "markdown"])
def test_a_plan_to_create_never_shows_a_secret_header_value(
    output: str, emulator: Emulator, manifest: WriteManifest, queuekeeper: RunCli
) -> None:
    run = queuekeeper("plan", "-f", manifest(WITH_SECRET), "--format", output)

    assert run.code == 0
    assert "Authorization" in run.out
    assert "queuekeeper" in run.out  # a harmless header is shown as it is
    assert SECRET not in run.output


@pytest.mark.parametrize("output", ["text", "json", "markdown"])
def test_a_plan_to_update_never_shows_the_old_or_new_secret(
    output: str, side: Side, manifest: WriteManifest, queuekeeper: RunCli
) -> None:
    path = manifest(WITH_SECRET)
    assert queuekeeper("apply", "-f", path, "--auto-approve").code == 0
    leaked = [{"header": {"key": "Authorization", "value": "Bearer h4x0r"}}]
    side.update(HOOKS, "http_target.header_overrides", leaked)

    run = queuekeeper("plan", "-f", path, "--format", output, "--detailed-exitcode")

    assert run.code == 2
    assert "http_target.header_overrides" in run.out
    assert SECRET not in run.output
    assert "h4x0r" not in run.output


def test_apply_sends_the_real_secret_but_never_prints_it(
    side: Side, manifest: WriteManifest, queuekeeper_process: RunProcess
) -> None:
    process = queuekeeper_process(
        "-vv", "apply", "-f", manifest(WITH_SECRET), "--auto-approve"
    )

    assert process.returncode == 0, process.stderr
    assert "CreateQueue" in process.stderr  # the log is on, and still clean
    assert SECRET not in process.stdout + process.stderr
    assert live_headers(side) == {
        "Authorization": f"Bearer {SECRET}",
        "X-Source": "queuekeeper",
    }


def test_a_saved_plan_keeps_the_secret_for_apply_in_an_owner_only_file(
    side: Side, manifest: WriteManifest, queuekeeper: RunCli
) -> None:
    planned = queuekeeper("plan", "-f", manifest(WITH_SECRET), "--out", "plan.json")
    applied = queuekeeper("apply", "plan.json", "--auto-approve")

    assert SECRET not in planned.output
    assert applied.code == 0
    assert SECRET not in applied.output
    assert live_headers(side)["Authorization"] == f"Bearer {SECRET}"
    assert stat.S_IMODE(Path("plan.json").stat().st_mode) == 0o600


def test_a_printed_json_plan_with_hidden_secrets_is_never_applied_as_written(
    emulator: Emulator, side: Side, manifest: WriteManifest, queuekeeper: RunCli
) -> None:
    # `plan --format json > plan.json` looks like a saved plan but holds
    # "<redacted>" where the secret was: applying it would break the queue.
    printed = queuekeeper("plan", "-f", manifest(WITH_SECRET), "--format", "json")
    Path("printed.json").write_text(printed.out)
    assert json.loads(printed.out)["changes"]

    run = queuekeeper("apply", "printed.json", "--auto-approve")

    assert run.code == 1
    assert "printed.json" in run.err
    assert side.names("p1", "us-central1") == []
