"""``plan --out plan.json`` and ``apply plan.json``: what was reviewed is what runs."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest

from queuekeeper.emulator import Emulator
from tests.acceptance.conftest import (
    EMAILS,
    ORDERS,
    TWO_QUEUES,
    RunCli,
    Side,
    SideOf,
    StartEmulator,
    WriteManifest,
    mutating_calls,
)


def test_a_saved_plan_is_applied_as_planned(
    emulator: Emulator, side: Side, manifest: WriteManifest, queuekeeper: RunCli
) -> None:
    path = manifest(TWO_QUEUES)

    planned = queuekeeper("plan", "-f", path, "--out", "plan.json")
    applied = queuekeeper("apply", "plan.json", "--auto-approve")
    calls = emulator.call_counts

    assert planned.code == 0
    assert "plan.json" in planned.err
    assert applied.code == 0
    assert calls == {"ListQueues": 2, "CreateQueue": 2}
    assert side.names("p1", "us-central1") == [EMAILS, ORDERS]
    assert side.get(ORDERS).rate_limits.max_concurrent_dispatches == 20
    assert queuekeeper("plan", "-f", path, "--detailed-exitcode").code == 0


def test_a_saved_update_plan_is_applied_with_only_its_field(
    emulator: Emulator, side: Side, manifest: WriteManifest, queuekeeper: RunCli
) -> None:
    path = manifest(TWO_QUEUES)
    assert queuekeeper("apply", "-f", path, "--auto-approve").code == 0
    side.update(ORDERS, "rate_limits.max_concurrent_dispatches", 7)
    side.update(ORDERS, "retry_config.max_attempts", 42)
    assert queuekeeper("plan", "-f", path, "--out", "plan.json").code == 0
    emulator.reset_call_counts()

    applied = queuekeeper("apply", "plan.json", "--auto-approve")

    assert applied.code == 0
    queue = side.get(ORDERS)
    assert queue.rate_limits.max_concurrent_dispatches == 20
    assert queue.retry_config.max_attempts == 42
    assert mutating_calls(emulator) == {"UpdateQueue": 1}


Change = Callable[[Side], object]
SIDE_CHANGES: dict[str, Change] = {
    "declared-field": lambda side: side.update(
        ORDERS, "rate_limits.max_concurrent_dispatches", 9
    ),
    "undeclared-field": lambda side: side.update(
        ORDERS, "retry_config.max_attempts", 42
    ),
    "state": lambda side: side.pause(ORDERS),
}


@pytest.mark.parametrize("change", SIDE_CHANGES.values(), ids=SIDE_CHANGES.keys())
def test_a_saved_plan_is_refused_when_its_queue_changed_since(
    change: Change,
    emulator: Emulator,
    side: Side,
    manifest: WriteManifest,
    queuekeeper: RunCli,
) -> None:
    path = manifest(TWO_QUEUES)
    assert queuekeeper("apply", "-f", path, "--auto-approve").code == 0
    side.update(ORDERS, "rate_limits.max_concurrent_dispatches", 7)
    assert queuekeeper("plan", "-f", path, "--out", "plan.json").code == 0
    change(side)
    before = side.get(ORDERS)
    emulator.reset_call_counts()

    run = queuekeeper("apply", "plan.json", "--auto-approve")

    assert run.code == 1
    assert ORDERS in run.err
    assert "changed" in run.err
    assert side.get(ORDERS) == before
    assert mutating_calls(emulator) == {}


def test_a_saved_plan_is_refused_when_a_queue_it_creates_was_created_since(
    emulator: Emulator, side: Side, manifest: WriteManifest, queuekeeper: RunCli
) -> None:
    path = manifest(TWO_QUEUES)
    assert queuekeeper("plan", "-f", path, "--out", "plan.json").code == 0
    side.create(EMAILS)
    emulator.reset_call_counts()

    run = queuekeeper("apply", "plan.json", "--auto-approve")

    assert run.code == 1
    assert f"{EMAILS} exists now, but did not when the plan was made" in run.err
    assert side.names("p1", "us-central1") == [EMAILS]
    assert mutating_calls(emulator) == {}


def test_a_saved_plan_is_refused_when_a_queue_it_updates_was_deleted_since(
    start_emulator: StartEmulator,
    side_of: SideOf,
    manifest: WriteManifest,
    queuekeeper: RunCli,
) -> None:
    emulator = start_emulator(queue_tombstone=timedelta(0))
    side = side_of(emulator)
    path = manifest(TWO_QUEUES)
    assert queuekeeper("apply", "-f", path, "--auto-approve").code == 0
    side.update(ORDERS, "rate_limits.max_concurrent_dispatches", 7)
    assert queuekeeper("plan", "-f", path, "--out", "plan.json").code == 0
    side.delete(ORDERS)
    emulator.reset_call_counts()

    run = queuekeeper("apply", "plan.json", "--auto-approve")

    assert run.code == 1
    assert f"{ORDERS} was deleted" in run.err
    assert side.names("p1", "us-central1") == [EMAILS]
    assert mutating_calls(emulator) == {}


def test_a_change_to_a_queue_the_plan_does_not_touch_does_not_stop_it(
    side: Side, manifest: WriteManifest, queuekeeper: RunCli
) -> None:
    path = manifest(TWO_QUEUES)
    assert queuekeeper("apply", "-f", path, "--auto-approve").code == 0
    side.update(ORDERS, "rate_limits.max_concurrent_dispatches", 7)
    assert queuekeeper("plan", "-f", path, "--out", "plan.json").code == 0
    side.update(EMAILS, "rate_limits.max_concurrent_dispatches", 3)

    run = queuekeeper("apply", "plan.json", "--auto-approve")

    assert run.code == 0
    assert side.get(ORDERS).rate_limits.max_concurrent_dispatches == 20


VERSION_1 = {"format": "queuekeeper-plan", "format_version": 1}
BROKEN_PLANS = {
    "garbage": ("this is { not json", "is not a plan file (not JSON"),
    "empty": ("", "is not a plan file (not JSON"),
    "other-json": (json.dumps({"terraform_version": "1.9"}), "not a queuekeeper plan"),
    "a-list": ("[1, 2, 3]", "not a queuekeeper plan"),
    "future-version": (
        json.dumps({**VERSION_1, "format_version": 99, "changes": []}),
        "version 99",
    ),
    "damaged-change": (
        json.dumps({**VERSION_1, "changes": [{"action": "explode"}]}),
        "damaged",
    ),
    "unknown-field": (
        json.dumps(
            {
                **VERSION_1,
                "changes": [
                    {
                        "action": "create",
                        "queue": {"project": "p1", "location": "l1", "name": "q"},
                        "diffs": [],
                        "settings": {"rate_limits.max_burst_size": 7},
                        "fingerprint": None,
                    }
                ],
            }
        ),
        "damaged",
    ),
}


@pytest.mark.parametrize(
    ("text", "message"), BROKEN_PLANS.values(), ids=BROKEN_PLANS.keys()
)
def test_a_broken_plan_file_is_refused_with_a_clear_error_before_any_api_call(
    text: str, message: str, emulator: Emulator, tmp_path: Path, queuekeeper: RunCli
) -> None:
    plan = tmp_path / "plan.json"
    plan.write_text(text)

    run = queuekeeper("apply", plan, "--auto-approve")

    assert run.code == 1
    assert message in run.err
    assert str(plan) in run.err
    assert "Traceback" not in run.err
    assert emulator.call_counts == {}


def test_a_missing_plan_file_is_refused_with_a_clear_error(
    emulator: Emulator, queuekeeper: RunCli
) -> None:
    run = queuekeeper("apply", "no-such-plan.json", "--auto-approve")

    assert run.code == 1
    assert "cannot read plan file no-such-plan.json" in run.err
    assert emulator.call_counts == {}


def test_a_plan_file_with_a_malformed_value_is_refused_without_changing_anything(
    emulator: Emulator, side: Side, tmp_path: Path, queuekeeper: RunCli
) -> None:
    # A hand-edited URI override that lacks all but its host.
    changes = [
        {
            "action": "create",
            "queue": {"project": "p1", "location": "us-central1", "name": name},
            "diffs": [],
            "settings": settings,
            "fingerprint": None,
        }
        for name, settings in [
            ("alpha", {"rate_limits.max_concurrent_dispatches": 5}),
            ("bravo", {"http_target.uri_override": [["host", "example.com"]]}),
        ]
    ]
    plan = tmp_path / "plan.json"
    plan.write_text(json.dumps({**VERSION_1, "changes": changes}))

    run = queuekeeper("apply", plan, "--auto-approve", "--parallelism", "1")

    assert run.code == 1, run.err
    assert "Traceback" not in run.err
    assert side.names("p1", "us-central1") == []
