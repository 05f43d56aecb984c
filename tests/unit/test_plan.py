"""The pure planner: declared specs against live queues, no server."""

from __future__ import annotations

from collections.abc import Mapping

from queuekeeper.fields import Value, implied_burst
from queuekeeper.manifest import QueueKey
from queuekeeper.plan import Action, FieldDiff, LiveQueue, NoteKind, make_plan
from tests.unit.helpers import manifest

KEY = QueueKey("demo", "europe-west1", "q")
LIVE_DEFAULTS: dict[str, Value] = {
    "rate_limits.max_dispatches_per_second": 500.0,
    "rate_limits.max_concurrent_dispatches": 1000,
    "retry_config.max_attempts": 100,
    "retry_config.min_backoff": 100_000_000,
    "retry_config.max_backoff": 3600 * 10**9,
    "retry_config.max_doublings": 16,
    "retry_config.max_retry_duration": 0,
    "stackdriver_logging_config.sampling_ratio": 0.0,
    "http_target.header_overrides": (),
}


def live(key: QueueKey = KEY, state: str = "RUNNING", **changes: Value) -> LiveQueue:
    settings: Mapping[str, Value] = {
        **LIVE_DEFAULTS,
        **{k.replace("__", "."): v for k, v in changes.items()},
    }
    rate = settings["rate_limits.max_dispatches_per_second"]
    assert isinstance(rate, float)
    return LiveQueue(key, settings, state, implied_burst(rate))


def test_a_missing_queue_is_created_with_every_declared_field() -> None:
    m = manifest(
        "queues:\n  - name: q\n    rate_limits: {max_dispatches_per_second: 5}\n"
    )
    plan = make_plan(m, [])
    assert [c.action for c in plan.changes] == [Action.CREATE]
    assert plan.changes[0].settings == {"rate_limits.max_dispatches_per_second": 5.0}
    assert plan.fingerprints == {KEY: None}


def test_a_missing_paused_queue_is_created_then_paused() -> None:
    plan = make_plan(manifest("queues:\n  - name: q\n    state: paused\n"), [])
    assert [c.action for c in plan.changes] == [Action.CREATE, Action.PAUSE]


def test_a_matching_queue_needs_nothing() -> None:
    m = manifest("queues:\n  - name: q\n    retry_config: {max_attempts: 100}\n")
    plan = make_plan(m, [live()])
    assert not plan.has_changes
    assert plan.notes == ()


def test_an_update_lists_exactly_the_fields_that_differ() -> None:
    m = manifest(
        """
        queues:
          - name: q
            rate_limits: {max_dispatches_per_second: 5, max_concurrent_dispatches: 1000}
            retry_config: {min_backoff: 2s}
        """
    )
    plan = make_plan(m, [live()])
    (change,) = plan.changes
    assert change.action is Action.UPDATE
    assert change.diffs == (
        FieldDiff("rate_limits.max_dispatches_per_second", 500.0, 5.0),
        FieldDiff("retry_config.min_backoff", 100_000_000, 2 * 10**9),
    )


def test_undeclared_fields_are_never_compared() -> None:
    m = manifest("queues:\n  - name: q\n")
    plan = make_plan(m, [live(retry_config__max_attempts=7)])
    assert not plan.has_changes


def test_explicit_zero_differs_from_a_live_default() -> None:
    m = manifest("queues:\n  - name: q\n    retry_config: {max_doublings: 0}\n")
    (change,) = make_plan(m, [live()]).changes
    assert change.diffs == (FieldDiff("retry_config.max_doublings", 16, 0),)


def test_rates_compare_with_a_relative_tolerance() -> None:
    m = manifest(
        "queues:\n  - name: q\n    rate_limits: {max_dispatches_per_second: 1/m}\n"
    )
    nearly = 1 / 60 * (1 + 1e-12)
    assert not make_plan(
        m, [live(rate_limits__max_dispatches_per_second=nearly)]
    ).changes
    off = 1 / 60 * (1 + 1e-6)
    assert make_plan(m, [live(rate_limits__max_dispatches_per_second=off)]).changes


def test_durations_compare_exactly() -> None:
    m = manifest("queues:\n  - name: q\n    retry_config: {min_backoff: 1s}\n")
    assert make_plan(m, [live(retry_config__min_backoff=10**9 + 1)]).changes


def test_declared_state_pauses_and_resumes() -> None:
    paused = manifest("queues:\n  - name: q\n    state: paused\n")
    running = manifest("queues:\n  - name: q\n    state: running\n")
    assert [c.action for c in make_plan(paused, [live()]).changes] == [Action.PAUSE]
    assert [c.action for c in make_plan(running, [live(state="PAUSED")]).changes] == [
        Action.RESUME
    ]
    assert [c.action for c in make_plan(running, [live(state="DISABLED")]).changes] == [
        Action.RESUME
    ]


def test_a_queue_paused_outside_with_no_declared_state_is_noted_not_resumed() -> None:
    plan = make_plan(manifest("queues:\n  - name: q\n"), [live(state="PAUSED")])
    assert not plan.has_changes
    assert [n.kind for n in plan.notes] == [NoteKind.PAUSED_OUTSIDE]


def test_live_queues_not_in_the_manifest_are_unmanaged_notes() -> None:
    other = QueueKey("demo", "europe-west1", "legacy")
    plan = make_plan(manifest("queues:\n  - name: q\n"), [live(), live(other)])
    assert not plan.has_changes
    assert [(n.kind, n.key) for n in plan.notes] == [(NoteKind.UNMANAGED, other)]


def test_an_update_of_a_queue_with_a_foreign_burst_warns_that_it_resets() -> None:
    m = manifest("queues:\n  - name: q\n    retry_config: {max_attempts: 5}\n")
    queue = live()
    odd = LiveQueue(queue.key, queue.settings, queue.state, max_burst_size=7)
    plan = make_plan(m, [odd])
    assert [n.kind for n in plan.notes] == [NoteKind.BURST_RESET]


def test_the_fingerprint_changes_when_a_live_field_changes() -> None:
    m = manifest("queues:\n  - name: q\n    retry_config: {max_attempts: 5}\n")
    before = make_plan(m, [live()]).fingerprints[KEY]
    after = make_plan(m, [live(rate_limits__max_concurrent_dispatches=3)]).fingerprints[
        KEY
    ]
    assert before and after and before != after


def test_the_same_inputs_give_the_same_plan() -> None:
    m = manifest("queues:\n  - name: b\n  - name: a\n")
    assert make_plan(m, []) == make_plan(m, [])
    assert [c.key.name for c in make_plan(m, []).changes] == ["a", "b"]
