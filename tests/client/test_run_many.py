"""run_many(): BatchCreateTasks, 100 tasks a call per queue, one outcome per
task in input order; a bad task fails alone."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import grpc
import pytest

from queuekeeper import TaskManager, TaskSpec, with_headers, with_method
from queuekeeper.client import TaskResult
from queuekeeper.emulator import Emulator
from queuekeeper.errors import (
    InvalidTask,
    PermissionDenied,
    QueueNotFound,
    TaskAlreadyExists,
)
from tests.client.conftest import LOCATION, PROJECT, MakeManager, queue_path
from tests.client.test_autocreate import MANIFEST, tasks_in
from tests.emulator.target import Target


def specs(queue: str, count: int, **fields: Any) -> list[TaskSpec]:
    return [
        TaskSpec(queue, f"/hook/{i}", payload={"i": i}, **fields) for i in range(count)
    ]


def test_250_tasks_on_two_queues_take_one_batch_call_per_100_per_queue(
    own_tm: TaskManager, own_emulator: Emulator
) -> None:
    own_tm.create_queue("emails")
    own_tm.create_queue("billing")
    own_emulator.reset_call_counts()
    tasks = specs("emails", 250) + specs("billing", 130)

    outcomes = own_tm.run_many(tasks)

    assert outcomes.ok and len(outcomes) == 380
    assert own_emulator.call_counts == {"BatchCreateTasks": 5}
    assert [r.url.rsplit("/", 1)[1] for r in outcomes.delivered] == [
        str(i) for n in (250, 130) for i in range(n)
    ]
    assert {r.queue for r in outcomes.delivered[:250]} == {"emails"}
    assert len(tasks_in(own_emulator, "emails")) == 250
    assert len(tasks_in(own_emulator, "billing")) == 130
    assert sorted(r.name for r in outcomes.delivered[250:]) == sorted(
        tasks_in(own_emulator, "billing")
    )


def test_the_tasks_arrive_at_their_receiver_as_run_would_send_them(
    tm: TaskManager, target: Target, queue: str
) -> None:
    outcomes = tm.run_many(
        [
            TaskSpec(queue, "/a", payload={"n": 1}),
            TaskSpec(queue, "/b", with_method("PUT"), payload="text", name="b-1"),
        ],
        with_headers({"X-Source": "bulk"}),
    )

    seen = sorted(target.wait_for(2), key=lambda r: r.path)
    assert [(s.method, s.path, s.body) for s in seen] == [
        ("POST", "/v1/a", b'{"n":1}'),
        ("PUT", "/v1/b", b"text"),
    ]
    assert all(s.header("X-Source") == "bulk" for s in seen)
    assert all(s.header("X-API-Key") for s in seen)
    assert outcomes[1].name == queue_path(queue) + "/tasks/b-1"  # type: ignore[union-attr]


def test_a_bad_task_fails_alone_without_being_sent(
    own_tm: TaskManager, own_emulator: Emulator
) -> None:
    own_tm.create_queue("q")
    tasks: list[TaskSpec | dict[str, str]] = [
        TaskSpec("q", "/ok/0"),
        TaskSpec("q", "/bad", method="GET", payload={"a": 1}),
        {"queue": "q", "path": "/ok/1"},
        TaskSpec("q", "/bad", name="not valid"),
        TaskSpec("not a queue!", "/bad"),
        TaskSpec("q", "/ok/2", delay=60),
    ]

    outcomes = own_tm.run_many(tasks)

    assert [type(o).__name__ for o in outcomes] == [
        "TaskResult",
        "InvalidTask",
        "TaskResult",
        "InvalidTask",
        "InvalidTask",
        "TaskResult",
    ]
    assert sorted(outcomes.failed) == [1, 3, 4]
    assert isinstance(outcomes[3], InvalidTask) and outcomes[3].limit == "task id"
    assert len(tasks_in(own_emulator, "q")) == 3
    assert repr(outcomes) == "<Outcomes: 3 delivered, 3 failed>"


def test_a_name_already_taken_fails_alone_and_a_name_given_twice_is_sent_once(
    own_tm: TaskManager, own_emulator: Emulator
) -> None:
    own_tm.run("q", "/first", name="taken")
    tasks = [
        TaskSpec("q", "/x", name="taken"),
        TaskSpec("q", "/x", name="fresh"),
        TaskSpec("q", "/x", name="fresh"),
        TaskSpec("q", "/x"),
    ]
    own_emulator.reset_call_counts()

    outcomes = own_tm.run_many(tasks)

    assert isinstance(outcomes[0], TaskAlreadyExists)
    assert outcomes[0].task == queue_path("q") + "/tasks/taken"
    assert isinstance(outcomes[1], TaskResult) and outcomes[1].task_id == "fresh"
    assert isinstance(outcomes[2], TaskAlreadyExists)
    assert isinstance(outcomes[3], TaskResult)
    assert own_emulator.call_counts == {"BatchCreateTasks": 1}
    assert len(tasks_in(own_emulator, "q")) == 3


def test_every_task_refused_by_the_service_is_an_outcome_not_an_exception(
    own_tm: TaskManager, own_emulator: Emulator
) -> None:
    own_tm.run("q", "/first", name="a")
    own_tm.run("q", "/first", name="b")

    outcomes = own_tm.run_many([TaskSpec("q", "/x", name=n) for n in "ab"])

    assert [type(o) for o in outcomes] == [TaskAlreadyExists] * 2
    assert not outcomes.ok and outcomes.delivered == []


def test_a_missing_queue_is_created_once_then_every_batch_is_sent(
    own_tm: TaskManager, own_emulator: Emulator
) -> None:
    outcomes = own_tm.run_many(specs("fresh", 250))

    assert outcomes.ok
    # The first batch alone: NOT_FOUND, the queue, the batch again; then two.
    assert own_emulator.call_counts == {"BatchCreateTasks": 4, "CreateQueue": 1}
    assert [r.attempts for r in outcomes.delivered[::100]] == [2, 1, 1]
    assert len(tasks_in(own_emulator, "fresh")) == 250


def test_a_queue_the_manifest_does_not_declare_fails_its_tasks_only(
    own_emulator: Emulator, target: Target, tmp_path: Path
) -> None:
    manifest = tmp_path / "queues.yaml"
    manifest.write_text(MANIFEST)
    with TaskManager.from_manifest(
        manifest, base_url=target.base, emulator_host=own_emulator.address
    ) as tm:
        outcomes = tm.run_many(specs("billing-tasks", 3) + specs("billing-typo", 2))

    assert [type(o).__name__ for o in outcomes] == ["TaskResult"] * 3 + [
        "QueueNotFound"
    ] * 2
    missing = outcomes[4]
    assert isinstance(missing, QueueNotFound)
    assert "declare billing-typo" in (missing.hint or "")
    assert own_emulator.call_counts["CreateQueue"] == 1  # billing-tasks only


def test_with_auto_create_off_a_missing_queue_fails_its_tasks(
    own_emulator: Emulator, make_manager: MakeManager
) -> None:
    tm = make_manager(emulator_host=own_emulator, auto_create=False)

    outcomes = tm.run_many(specs("nowhere", 2))

    assert [type(o) for o in outcomes] == [QueueNotFound, QueueNotFound]
    assert "CreateQueue" not in own_emulator.call_counts


def test_a_permanent_error_of_the_whole_call_is_every_tasks_outcome(
    own_tm: TaskManager, own_emulator: Emulator
) -> None:
    own_tm.create_queue("q")
    own_emulator.inject_fault("BatchCreateTasks", grpc.StatusCode.PERMISSION_DENIED)

    outcomes = own_tm.run_many(specs("q", 150))

    assert all(isinstance(o, PermissionDenied) for o in outcomes)
    assert own_emulator.call_counts["BatchCreateTasks"] == 2  # no retries


def test_test_mode_records_every_good_task_in_input_order(
    make_manager: MakeManager,
) -> None:
    tm = make_manager(test_mode=True)
    tasks = [
        TaskSpec("a", "/1", payload={"n": 1}),
        TaskSpec("b", "/2", name="two"),
        TaskSpec("a", "/bad", method="NOPE"),
        TaskSpec("a", "/3"),
        TaskSpec("b", "/4", name="two"),
    ]

    outcomes = tm.run_many(tasks)

    assert [t.url.rsplit("/", 1)[1] for t in tm.outbox] == ["1", "2", "3"]
    assert tm.outbox[0].payload == {"n": 1}
    assert sorted(outcomes.failed) == [2, 4]
    assert all(r.test_mode for r in outcomes.delivered)
    created = [op.queue for op in tm.outbox.queue_operations]
    assert created == [queue_path("a"), queue_path("b")]


def test_a_task_that_is_not_a_spec_is_a_type_error_before_any_call(
    own_tm: TaskManager, own_emulator: Emulator
) -> None:
    with pytest.raises(TypeError, match="TaskSpec values or mappings, not str"):
        own_tm.run_many([TaskSpec("q", "/a"), "/b"])  # type: ignore[list-item]
    with pytest.raises(TypeError, match="unknown fields: paylod"):
        own_tm.run_many([{"queue": "q", "path": "/a", "paylod": 1}])

    assert own_emulator.call_counts == {}


def test_no_task_no_call(own_tm: TaskManager, own_emulator: Emulator) -> None:
    assert len(own_tm.run_many([])) == 0
    assert own_tm.run_many([TaskSpec("q", "https://x/")]).failed.keys() == {0}
    assert own_emulator.call_counts == {}


def test_a_spec_hides_its_payload_and_headers() -> None:
    spec = TaskSpec("q", "/p", payload={"card": "4111"}, headers={"X-Sig": "s3"})

    assert "4111" not in repr(spec) and "s3" not in repr(spec)


def test_project_and_location_of_a_full_queue_path_are_kept(
    own_tm: TaskManager,
) -> None:
    path = f"projects/{PROJECT}/locations/{LOCATION}/queues/by-path"

    [result] = own_tm.run_many([TaskSpec(path, "/p")])

    assert isinstance(result, TaskResult) and result.queue == "by-path"
