"""``apply``: converging live queues, touching only what is declared."""

from __future__ import annotations

import json
import os
import subprocess
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from google.cloud import tasks_v2

from queuekeeper.emulator import Emulator
from tests.acceptance.conftest import (
    EMAILS,
    ORDERS,
    QUEUEKEEPER,
    TWO_QUEUES,
    RunCli,
    RunProcess,
    Side,
    SideOf,
    StartEmulator,
    WriteManifest,
    mutating_calls,
    queue_path,
)
from tests.conftest import VALID

PAUSED = tasks_v2.Queue.State.PAUSED
RUNNING = tasks_v2.Queue.State.RUNNING

# Count fields a valid example may declare, and values to set from the side.
SIDE_VALUES = {
    "rate_limits.max_concurrent_dispatches": (7, 8),
    "retry_config.max_attempts": (7, 8),
    "retry_config.max_doublings": (7, 8),
}


def first_count_field(plan: dict[str, Any]) -> tuple[dict[str, str], str, int]:
    """The first created queue declaring a count field: (queue, path, value)."""
    for change in plan["changes"]:
        for path, declared in change["settings"].items():
            if change["action"] == "create" and path in SIDE_VALUES:
                return change["queue"], path, declared
    raise AssertionError("the example declares no count field to change")


def result_lines(output: str) -> list[str]:
    outcomes = ("done ", "failed ", "skipped ")
    return [
        line.strip()
        for line in output.splitlines()
        if line.startswith("  ") and line.strip().startswith(outcomes)
    ]


@pytest.mark.parametrize("path", VALID, ids=lambda p: p.name)
def test_each_valid_example_applies_then_repairs_one_field_changed_from_the_side(
    path: Path, emulator: Emulator, side: Side, queuekeeper: RunCli
) -> None:
    created = json.loads(queuekeeper("plan", "-f", path, "--format", "json").out)
    queue, field, declared = first_count_field(created)
    drift = next(v for v in SIDE_VALUES[field] if v != declared)

    assert queuekeeper("apply", "-f", path, "--auto-approve").code == 0
    assert queuekeeper("plan", "-f", path, "--detailed-exitcode").code == 0
    side.update(queue_path(**queue), field, drift)
    planned = queuekeeper("plan", "-f", path, "--format", "json", "--detailed-exitcode")

    assert planned.code == 2
    [change] = json.loads(planned.out)["changes"]
    assert (change["action"], change["queue"]) == ("update", queue)
    assert change["diffs"] == [{"path": field, "old": drift, "new": declared}]

    emulator.reset_call_counts()
    assert queuekeeper("apply", "-f", path, "--auto-approve").code == 0
    assert mutating_calls(emulator) == {"UpdateQueue": 1}
    assert queuekeeper("plan", "-f", path, "--detailed-exitcode").code == 0


@pytest.mark.parametrize("path", VALID, ids=lambda p: p.name)
def test_each_valid_example_is_applied_with_one_result_per_change_and_no_get(
    path: Path, emulator: Emulator, queuekeeper: RunCli
) -> None:
    planned = json.loads(queuekeeper("plan", "-f", path, "--format", "json").out)
    emulator.reset_call_counts()

    run = queuekeeper("apply", "-f", path, "--auto-approve")

    assert run.code == 0
    lines = result_lines(run.out)
    assert len(lines) == len(planned["changes"])
    assert all(line.startswith("done ") for line in lines)
    creates = sum(c["action"] == "create" for c in planned["changes"])
    assert emulator.call_counts["CreateQueue"] == creates
    assert "GetQueue" not in emulator.call_counts


EVERY_FIELD = """\
version: 1
project: p1
location: us-central1
queues:
  - name: everything
    rate_limits: {max_dispatches_per_second: 1/m, max_concurrent_dispatches: 1}
    retry_config:
      max_attempts: unlimited
      min_backoff: 0s
      max_backoff: 1m30s
      max_doublings: 0
      max_retry_duration: 0s
    stackdriver_logging_config: {sampling_ratio: 0}
    http_target:
      http_method: PUT
      uri_override:
        scheme: HTTP
        host: hooks.example.com
        port: 8080
        path_override: {path: /tasks}
        query_override: {query_params: a=b}
        uri_override_enforce_mode: IF_NOT_EXISTS
      header_overrides: {X-B: b, X-A: a}
      oauth_token:
        service_account_email: tasks@p1.iam.gserviceaccount.com
        scope: https://www.googleapis.com/auth/cloud-platform
"""
EVERYTHING = queue_path("p1", "us-central1", "everything")
OTHER_URI = {
    "scheme": tasks_v2.UriOverride.Scheme.HTTP,
    "host": "other.example.com",
    "port": 8080,
    "path_override": {"path": "/tasks"},
    "query_override": {"query_params": "a=b"},
    "uri_override_enforce_mode": (
        tasks_v2.UriOverride.UriOverrideEnforceMode.IF_NOT_EXISTS
    ),
}
# (field, value set from the side, how the plan shows it as "old")
DRIFTS = [
    ("rate_limits.max_dispatches_per_second", 5.0, 5.0),
    ("rate_limits.max_concurrent_dispatches", 3, 3),
    ("retry_config.max_attempts", 4, 4),
    ("retry_config.min_backoff", timedelta(seconds=2), 2_000_000_000),
    ("retry_config.max_backoff", timedelta(seconds=100), 100_000_000_000),
    ("retry_config.max_doublings", 3, 3),
    ("retry_config.max_retry_duration", timedelta(hours=1), 3_600_000_000_000),
    ("stackdriver_logging_config.sampling_ratio", 0.5, 0.5),
    ("http_target.http_method", tasks_v2.HttpMethod.POST, "POST"),
    (
        "http_target.uri_override",
        OTHER_URI,
        [
            ["scheme", "HTTP"],
            ["host", "other.example.com"],
            ["port", "8080"],
            ["path", "/tasks"],
            ["query_params", "a=b"],
            ["uri_override_enforce_mode", "IF_NOT_EXISTS"],
        ],
    ),
    (
        "http_target.header_overrides",
        [{"header": {"key": "X-A", "value": "changed"}}],
        [["X-A", "changed"]],
    ),
    (
        "http_target.oauth_token",
        {"service_account_email": "other@p1.iam.gserviceaccount.com", "scope": "s"},
        [["service_account_email", "other@p1.iam.gserviceaccount.com"], ["scope", "s"]],
    ),
]


@pytest.mark.parametrize(("field", "drift", "old"), DRIFTS, ids=[d[0] for d in DRIFTS])
def test_every_managed_field_changed_from_the_side_is_planned_and_restored(
    field: str,
    drift: Any,
    old: Any,
    emulator: Emulator,
    side: Side,
    manifest: WriteManifest,
    queuekeeper: RunCli,
) -> None:
    path = manifest(EVERY_FIELD)
    created = json.loads(queuekeeper("plan", "-f", path, "--format", "json").out)
    declared = created["changes"][0]["settings"][field]
    assert queuekeeper("apply", "-f", path, "--auto-approve").code == 0
    assert queuekeeper("plan", "-f", path, "--detailed-exitcode").code == 0
    side.update(EVERYTHING, field, drift)

    planned = json.loads(queuekeeper("plan", "-f", path, "--format", "json").out)
    [change] = planned["changes"]
    assert change["diffs"] == [{"path": field, "old": old, "new": declared}]

    emulator.reset_call_counts()
    assert queuekeeper("apply", "-f", path, "--auto-approve").code == 0
    assert mutating_calls(emulator) == {"UpdateQueue": 1}
    assert queuekeeper("plan", "-f", path, "--detailed-exitcode").code == 0


def copy_of(queue: tasks_v2.Queue) -> tasks_v2.Queue:
    copy: tasks_v2.Queue = tasks_v2.Queue.deserialize(tasks_v2.Queue.serialize(queue))
    return copy


def test_apply_changes_only_the_differing_field_and_keeps_undeclared_live_values(
    emulator: Emulator, side: Side, manifest: WriteManifest, queuekeeper: RunCli
) -> None:
    path = manifest(TWO_QUEUES)
    assert queuekeeper("apply", "-f", path, "--auto-approve").code == 0
    side.update(ORDERS, "retry_config.max_attempts", 42)
    side.update(ORDERS, "retry_config.min_backoff", timedelta(seconds=7))
    side.update(ORDERS, "stackdriver_logging_config.sampling_ratio", 0.3)
    side.update(ORDERS, "rate_limits.max_concurrent_dispatches", 7)
    before = side.get(ORDERS)
    untouched = side.get(EMAILS)
    emulator.reset_call_counts()

    assert queuekeeper("apply", "-f", path, "--auto-approve").code == 0

    expected = copy_of(before)
    expected.rate_limits.max_concurrent_dispatches = 20
    assert side.get(ORDERS) == expected
    assert side.get(EMAILS) == untouched
    assert mutating_calls(emulator) == {"UpdateQueue": 1}


def test_apply_keeps_max_doublings_zero_on_every_queue_of_the_etl_example(
    side: Side, queuekeeper: RunCli
) -> None:
    etl = next(p for p in VALID if p.name == "etl-pipeline.yaml")
    assert queuekeeper("apply", "-f", etl, "--auto-approve").code == 0

    names = side.names("etl-prod", "us-central1")

    assert len(names) == 7
    assert {side.get(name).retry_config.max_doublings for name in names} == {0}
    assert queuekeeper("plan", "-f", etl, "--detailed-exitcode").code == 0


def test_apply_restores_an_explicit_zero_max_doublings_changed_from_the_side(
    side: Side, queuekeeper: RunCli
) -> None:
    etl = next(p for p in VALID if p.name == "etl-pipeline.yaml")
    parse_ndt = queue_path("etl-prod", "us-central1", "parse-ndt")
    assert queuekeeper("apply", "-f", etl, "--auto-approve").code == 0
    side.update(parse_ndt, "retry_config.max_doublings", 16)

    planned = queuekeeper("plan", "-f", etl)
    applied = queuekeeper("apply", "-f", etl, "--auto-approve")

    assert "retry_config.max_doublings: 16 -> 0" in planned.out
    assert applied.code == 0
    assert side.get(parse_ndt).retry_config.max_doublings == 0
    assert queuekeeper("plan", "-f", etl, "--detailed-exitcode").code == 0


def test_apply_never_touches_an_unmanaged_live_queue(
    emulator: Emulator, side: Side, manifest: WriteManifest, queuekeeper: RunCli
) -> None:
    stray = queue_path("p1", "us-central1", "stray")
    side.create(stray, rate_limits={"max_concurrent_dispatches": 3})
    side.pause(stray)
    before = side.get(stray)

    run = queuekeeper("apply", "-f", manifest(TWO_QUEUES), "--auto-approve")

    assert run.code == 0
    assert f"unmanaged: {stray}" in run.out
    assert side.get(stray) == before
    assert emulator.call_counts["CreateQueue"] == 3  # the stray one, then ours


def test_apply_leaves_a_queue_paused_from_the_side_paused_when_state_is_undeclared(
    emulator: Emulator, side: Side, manifest: WriteManifest, queuekeeper: RunCli
) -> None:
    path = manifest(TWO_QUEUES)
    assert queuekeeper("apply", "-f", path, "--auto-approve").code == 0
    side.pause(ORDERS)
    side.update(ORDERS, "rate_limits.max_concurrent_dispatches", 7)

    run = queuekeeper("apply", "-f", path, "--auto-approve")

    assert run.code == 0
    assert f"paused-outside-manifest: {ORDERS}" in run.out
    queue = side.get(ORDERS)
    assert queue.state == PAUSED
    assert queue.rate_limits.max_concurrent_dispatches == 20
    assert "ResumeQueue" not in emulator.call_counts


def test_apply_creates_a_queue_declared_paused_and_then_pauses_it(
    emulator: Emulator, side: Side, manifest: WriteManifest, queuekeeper: RunCli
) -> None:
    path = manifest(TWO_QUEUES + "  - name: reports\n    state: paused\n")
    reports = queue_path("p1", "us-central1", "reports")

    run = queuekeeper("apply", "-f", path, "--auto-approve")

    assert run.code == 0
    lines = result_lines(run.out)
    assert lines.index(f"done    create {reports}") < lines.index(
        f"done    pause {reports}"
    )
    assert side.get(reports).state == PAUSED
    assert side.get(ORDERS).state == RUNNING
    assert mutating_calls(emulator) == {"CreateQueue": 3, "PauseQueue": 1}
    assert queuekeeper("plan", "-f", path, "--detailed-exitcode").code == 0


def test_apply_resumes_a_queue_declared_running_that_was_paused_from_the_side(
    emulator: Emulator, side: Side, manifest: WriteManifest, queuekeeper: RunCli
) -> None:
    path = manifest(
        TWO_QUEUES.replace("name: orders", "name: orders\n    state: running")
    )
    assert queuekeeper("apply", "-f", path, "--auto-approve").code == 0
    side.pause(ORDERS)
    emulator.reset_call_counts()

    planned = queuekeeper("plan", "-f", path, "--detailed-exitcode")
    applied = queuekeeper("apply", "-f", path, "--auto-approve")

    assert planned.code == 2
    assert f"resume {ORDERS}" in planned.out
    assert applied.code == 0
    assert side.get(ORDERS).state == RUNNING
    assert mutating_calls(emulator) == {"ResumeQueue": 1}


def test_apply_pauses_a_queue_declared_paused_that_was_resumed_from_the_side(
    emulator: Emulator, side: Side, manifest: WriteManifest, queuekeeper: RunCli
) -> None:
    path = manifest(
        TWO_QUEUES.replace("name: orders", "name: orders\n    state: paused")
    )
    assert queuekeeper("apply", "-f", path, "--auto-approve").code == 0
    side.resume(ORDERS)
    emulator.reset_call_counts()

    assert queuekeeper("apply", "-f", path, "--auto-approve").code == 0

    assert side.get(ORDERS).state == PAUSED
    assert mutating_calls(emulator) == {"PauseQueue": 1}


def test_apply_with_nothing_to_change_makes_no_change_and_needs_no_approval(
    emulator: Emulator,
    manifest: WriteManifest,
    queuekeeper: RunCli,
    queuekeeper_process: RunProcess,
) -> None:
    path = manifest(TWO_QUEUES)
    assert queuekeeper("apply", "-f", path, "--auto-approve").code == 0
    emulator.reset_call_counts()

    process = queuekeeper_process("apply", "-f", path)

    assert process.returncode == 0, process.stderr
    assert "No changes" in process.stdout
    assert mutating_calls(emulator) == {}


PARTLY_FAILING = """\
version: 1
project: p1
location: us-central1
queues:
  - name: alpha
    rate_limits: {max_concurrent_dispatches: 5}
  - name: bravo
    rate_limits: {max_concurrent_dispatches: 5}
    state: paused
  - name: charlie
    rate_limits: {max_concurrent_dispatches: 5}
"""


@pytest.mark.parametrize("parallelism", ["1", "8"])
def test_a_failure_in_one_queue_does_not_stop_the_others_and_a_rerun_converges(
    parallelism: str,
    start_emulator: StartEmulator,
    side_of: SideOf,
    manifest: WriteManifest,
    queuekeeper: RunCli,
) -> None:
    emulator = start_emulator(queue_tombstone=timedelta(seconds=1))
    side = side_of(emulator)
    bravo = queue_path("p1", "us-central1", "bravo")
    side.create(bravo)
    side.delete(bravo)  # its name is now unusable for a second
    deleted_at = time.time()
    path = manifest(PARTLY_FAILING)

    run = queuekeeper(
        "apply", "-f", path, "--auto-approve", "--parallelism", parallelism
    )

    assert run.code == 1
    lines = result_lines(run.out)
    assert f"failed  create {bravo}: FAILED_PRECONDITION" in "\n".join(lines)
    assert any(line.startswith(f"skipped pause {bravo}") for line in lines)
    assert "Apply: 2 done, 1 failed, 1 skipped." in run.out
    assert side.names("p1", "us-central1") == [
        queue_path("p1", "us-central1", "alpha"),
        queue_path("p1", "us-central1", "charlie"),
    ]

    time.sleep(max(0.0, deleted_at + 1.05 - time.time()))
    rerun = queuekeeper("apply", "-f", path, "--auto-approve")

    assert rerun.code == 0
    assert "Apply: 2 done, 0 failed, 0 skipped." in rerun.out
    assert side.get(bravo).state == PAUSED
    assert queuekeeper("plan", "-f", path, "--detailed-exitcode").code == 0


def test_apply_refuses_without_a_terminal_and_changes_nothing(
    emulator: Emulator,
    side: Side,
    manifest: WriteManifest,
    queuekeeper_process: RunProcess,
) -> None:
    path = manifest(TWO_QUEUES)

    process = queuekeeper_process("apply", "-f", path)

    assert process.returncode == 1
    assert "no terminal" in process.stderr
    assert "--auto-approve" in process.stderr
    assert f"create {ORDERS}" in process.stdout  # the plan is still shown
    assert mutating_calls(emulator) == {}
    assert side.names("p1", "us-central1") == []


def apply_on_a_terminal(path: Path, answer: bytes) -> subprocess.CompletedProcess[str]:
    """Run ``apply`` with a pseudo-terminal as stdin, typing ``answer``."""
    controller, terminal = os.openpty()
    try:
        process = subprocess.Popen(
            [str(QUEUEKEEPER), "apply", "-f", str(path)],
            stdin=terminal,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        os.write(controller, answer)
        out, err = process.communicate(timeout=60)
    finally:
        os.close(terminal)
        os.close(controller)
    return subprocess.CompletedProcess(process.args, process.returncode, out, err)


def test_apply_on_a_terminal_applies_after_yes(
    emulator: Emulator, side: Side, manifest: WriteManifest
) -> None:
    process = apply_on_a_terminal(manifest(TWO_QUEUES), b"y\n")

    assert process.returncode == 0, process.stderr
    assert "Apply these changes?" in process.stdout
    assert side.names("p1", "us-central1") == [EMAILS, ORDERS]


def test_apply_on_a_terminal_changes_nothing_after_no(
    emulator: Emulator, side: Side, manifest: WriteManifest
) -> None:
    process = apply_on_a_terminal(manifest(TWO_QUEUES), b"n\n")

    assert process.returncode == 1
    assert "cancelled" in process.stderr
    assert mutating_calls(emulator) == {}
