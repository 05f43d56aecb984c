"""``plan``: how it reads the live queues, what it reports, how it exits."""

from __future__ import annotations

import json

import pytest

from queuekeeper.emulator import Emulator
from tests.acceptance.conftest import (
    EMAILS,
    ORDERS,
    TWO_QUEUES,
    RunCli,
    RunProcess,
    Side,
    WriteManifest,
    queue_path,
)
from tests.conftest import VALID

MULTI_LOCATION = next(p for p in VALID if p.name == "multi-location.yaml")


def test_plan_lists_queues_once_per_project_and_location_and_never_gets_one(
    emulator: Emulator, queuekeeper: RunCli
) -> None:
    run = queuekeeper("plan", "-f", MULTI_LOCATION)

    assert run.code == 0
    assert emulator.call_counts == {"ListQueues": 3}


def test_plan_after_apply_still_reads_with_one_list_per_location(
    emulator: Emulator, queuekeeper: RunCli
) -> None:
    assert queuekeeper("apply", "-f", MULTI_LOCATION, "--auto-approve").code == 0
    emulator.reset_call_counts()

    run = queuekeeper("plan", "-f", MULTI_LOCATION, "--detailed-exitcode")

    assert run.code == 0
    assert emulator.call_counts == {"ListQueues": 3}


def test_plan_reports_unmanaged_live_queues_without_counting_them_as_changes(
    side: Side, manifest: WriteManifest, queuekeeper: RunCli
) -> None:
    path = manifest(TWO_QUEUES)
    assert queuekeeper("apply", "-f", path, "--auto-approve").code == 0
    stray = queue_path("p1", "us-central1", "stray")
    side.create(stray)

    text = queuekeeper("plan", "-f", path, "--detailed-exitcode")
    data = json.loads(queuekeeper("plan", "-f", path, "--format", "json").out)

    assert text.code == 0
    assert f"unmanaged: {stray}" in text.out
    assert data["changes"] == []
    assert [(n["kind"], n["queue"]["name"]) for n in data["notes"]] == [
        ("unmanaged", "stray")
    ]


def test_plan_reports_a_queue_paused_from_the_side_when_no_state_is_declared(
    side: Side, manifest: WriteManifest, queuekeeper: RunCli
) -> None:
    path = manifest(TWO_QUEUES)
    assert queuekeeper("apply", "-f", path, "--auto-approve").code == 0
    side.pause(ORDERS)

    run = queuekeeper("plan", "-f", path, "--detailed-exitcode")

    assert run.code == 0
    assert "No changes" in run.out
    assert f"paused-outside-manifest: {ORDERS}" in run.out
    assert EMAILS not in run.out


def test_plan_shows_create_update_pause_and_resume_in_one_plan(
    side: Side, manifest: WriteManifest, queuekeeper: RunCli
) -> None:
    path = manifest(TWO_QUEUES)
    assert queuekeeper("apply", "-f", path, "--auto-approve").code == 0
    side.pause(EMAILS)
    side.update(ORDERS, "rate_limits.max_concurrent_dispatches", 7)
    changed = manifest(
        TWO_QUEUES.replace("{max_attempts: 5}", "{max_attempts: 5}\n    state: running")
        + "  - name: reports\n    state: paused\n"
        + "  - name: orders-archive\n    location: us-east1\n",
        name="changed.yaml",
    )

    run = queuekeeper("plan", "-f", changed, "--format", "json")

    actions = [
        (c["action"], c["queue"]["name"]) for c in json.loads(run.out)["changes"]
    ]
    assert sorted(actions) == [
        ("create", "orders-archive"),
        ("create", "reports"),
        ("pause", "reports"),
        ("resume", "emails"),
        ("update", "orders"),
    ]
    assert actions.index(("create", "reports")) < actions.index(("pause", "reports"))


def test_plan_update_names_exactly_the_field_that_differs_with_old_and_new(
    side: Side, manifest: WriteManifest, queuekeeper: RunCli
) -> None:
    path = manifest(TWO_QUEUES)
    assert queuekeeper("apply", "-f", path, "--auto-approve").code == 0
    side.update(ORDERS, "rate_limits.max_concurrent_dispatches", 7)
    side.update(ORDERS, "retry_config.max_attempts", 9)  # not declared: not managed

    text = queuekeeper("plan", "-f", path)
    data = json.loads(queuekeeper("plan", "-f", path, "--format", "json").out)

    assert "rate_limits.max_concurrent_dispatches: 7 -> 20" in text.out
    assert "max_attempts" not in text.out
    assert "1 to update" in text.out
    [change] = data["changes"]
    assert change["action"] == "update"
    assert change["queue"] == {
        "project": "p1",
        "location": "us-central1",
        "name": "orders",
    }
    assert change["diffs"] == [
        {"path": "rate_limits.max_concurrent_dispatches", "old": 7, "new": 20}
    ]


@pytest.mark.parametrize(
    ("flags", "expected"),
    [
        ([], 0),
        (["--detailed-exitcode"], 2),
    ],
    ids=["plain", "detailed"],
)
def test_plan_exits_2_only_with_detailed_exitcode_and_pending_changes(
    flags: list[str],
    expected: int,
    emulator: Emulator,
    manifest: WriteManifest,
    queuekeeper_process: RunProcess,
) -> None:
    path = manifest(TWO_QUEUES)

    process = queuekeeper_process("plan", "-f", path, *flags)

    assert process.returncode == expected, process.stderr


def test_plan_with_detailed_exitcode_exits_0_when_nothing_is_pending(
    emulator: Emulator,
    manifest: WriteManifest,
    queuekeeper: RunCli,
    queuekeeper_process: RunProcess,
) -> None:
    path = manifest(TWO_QUEUES)
    assert queuekeeper("apply", "-f", path, "--auto-approve").code == 0

    process = queuekeeper_process("plan", "-f", path, "--detailed-exitcode")

    assert process.returncode == 0
    assert "No changes" in process.stdout


@pytest.mark.parametrize(
    "args",
    [
        ["plan"],
        ["plan", "-f", "queues.yaml", "--format", "yaml"],
        ["plan", "-f", "queues.yaml", "--no-such-option"],
        ["apply"],
        ["apply", "plan.json", "-f", "queues.yaml"],
        ["apply", "-f", "queues.yaml", "--parallelism", "0"],
    ],
    ids=["no-file", "bad-format", "bad-option", "apply-nothing", "apply-both", "p0"],
)
def test_a_usage_error_exits_1_not_2(
    args: list[str],
    emulator: Emulator,
    manifest: WriteManifest,
    queuekeeper_process: RunProcess,
) -> None:
    manifest(TWO_QUEUES)

    process = queuekeeper_process(*args)

    assert process.returncode == 1, process.stderr
    assert process.stderr.strip()
    assert "Traceback" not in process.stderr
    assert emulator.call_counts == {}


def test_plan_as_markdown_renders_a_table_with_one_row_per_field(
    side: Side, manifest: WriteManifest, queuekeeper: RunCli
) -> None:
    path = manifest(TWO_QUEUES)
    assert queuekeeper("apply", "-f", path, "--auto-approve").code == 0
    side.update(ORDERS, "rate_limits.max_concurrent_dispatches", 7)

    run = queuekeeper("plan", "-f", path, "--format", "markdown")

    rows = [line for line in run.out.splitlines() if line.startswith("|")]
    assert rows[0] == "| action | queue | field | from | to |"
    assert set(rows[1].replace("|", "")) == {"-"}
    assert rows[2:] == [
        "| update | `orders` (p1/us-central1) "
        "| rate_limits.max_concurrent_dispatches | 7 | 20 |"
    ]
    assert all(row.count("|") == 6 for row in rows)


def test_plan_as_markdown_of_new_queues_has_a_row_for_every_declared_field(
    emulator: Emulator, manifest: WriteManifest, queuekeeper: RunCli
) -> None:
    path = manifest(TWO_QUEUES)

    run = queuekeeper("plan", "-f", path, "--format", "markdown")

    rows = [line for line in run.out.splitlines() if line.startswith("| create")]
    assert sorted(rows) == [
        "| create | `emails` (p1/us-central1) | retry_config.max_attempts |  | 5 |",
        "| create | `orders` (p1/us-central1) "
        "| rate_limits.max_concurrent_dispatches |  | 20 |",
    ]


def test_plan_reads_the_project_from_the_environment_when_the_manifest_says_so(
    emulator: Emulator,
    monkeypatch: pytest.MonkeyPatch,
    queuekeeper: RunCli,
) -> None:
    web_app = next(p for p in VALID if p.name == "web-app.yaml")
    monkeypatch.setenv("GOOGLE_CLOUD_PROJECT", "env-project")

    data = json.loads(queuekeeper("plan", "-f", web_app, "--format", "json").out)

    assert data["changes"]
    assert {c["queue"]["project"] for c in data["changes"]} == {"env-project"}


def test_plan_of_several_manifest_files_plans_them_as_one(
    emulator: Emulator, manifest: WriteManifest, queuekeeper: RunCli
) -> None:
    first = manifest(TWO_QUEUES, name="a.yaml")
    second = manifest(TWO_QUEUES.replace("p1", "p2"), name="b.yaml")

    data = json.loads(
        queuekeeper("plan", "-f", first, "-f", second, "--format", "json").out
    )

    assert len(data["changes"]) == 4
    assert emulator.call_counts == {"ListQueues": 2}
