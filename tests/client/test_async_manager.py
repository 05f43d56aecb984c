"""AsyncTaskManager: TaskManager's API awaited, over the asyncio client.

pytest-asyncio is not a dependency: each test runs its coroutine with
asyncio.run, and the AsyncTaskManager lives and closes inside it.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import subprocess
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import grpc
import pytest

from queuekeeper import AsyncTaskManager, QueueOptions, TaskManager, TaskSpec
from queuekeeper.emulator import Emulator
from queuekeeper.errors import (
    ClientClosedError,
    InvalidTask,
    QueueAlreadyExists,
    QueuekeeperError,
    QueueNotFound,
    TaskAlreadyExists,
)
from tests.client.conftest import API_KEY, LOCATION, PROJECT, queue_path
from tests.client.test_autocreate import MANIFEST, tasks_in
from tests.emulator.target import Target

T = TypeVar("T")
Scenario = Callable[[AsyncTaskManager], Awaitable[T]]


def run_with(scenario: Scenario[T], **settings: Any) -> T:
    """``scenario`` on a new AsyncTaskManager, in a new event loop."""

    async def main() -> T:
        async with AsyncTaskManager(
            project=PROJECT,
            location=LOCATION,
            base_url=settings.pop("base_url", "https://api.example.com"),
            auth_key=API_KEY,
            retry_deadline=5.0,
            **settings,
        ) as tm:
            return await scenario(tm)

    return asyncio.run(main())


def test_run_delivers_a_task_to_its_receiver(
    cloud_tasks_emulator: Emulator, target: Target, queue: str
) -> None:
    async def scenario(tm: AsyncTaskManager) -> Any:
        return await tm.run(queue, "/api/hook", payload={"user": 1}, name="t-1")

    result = run_with(scenario, base_url=target.base)

    [seen] = target.wait_for(1)
    assert (seen.method, seen.path, json.loads(seen.body)) == (
        "POST",
        "/api/hook",
        {"user": 1},
    )
    assert seen.header("X-API-Key") == API_KEY
    assert result.name == queue_path(queue) + "/tasks/t-1"
    assert result.attempts == 2  # NOT_FOUND, auto-create, then the task


def test_run_many_sends_a_batch_per_100_tasks_per_queue(
    own_emulator: Emulator,
) -> None:
    async def scenario(tm: AsyncTaskManager) -> Any:
        await tm.create_queue("emails")
        await tm.create_queue("billing")
        own_emulator.reset_call_counts()
        tasks = [TaskSpec("emails", f"/e/{i}") for i in range(250)]
        tasks += [TaskSpec("billing", f"/b/{i}", name=f"b{i}") for i in range(130)]
        return await tm.run_many(tasks)

    outcomes = run_with(scenario, emulator_host=own_emulator.address)

    assert outcomes.ok and len(outcomes) == 380
    assert own_emulator.call_counts == {"BatchCreateTasks": 5}
    assert outcomes[250].task_id == "b0"
    assert len(tasks_in(own_emulator, "emails")) == 250


def test_run_many_auto_creates_and_keeps_bad_tasks_apart(
    own_emulator: Emulator,
) -> None:
    async def scenario(tm: AsyncTaskManager) -> Any:
        return await tm.run_many(
            [
                TaskSpec("new", "/a", name="dup"),
                TaskSpec("new", "/b", name="dup"),
                TaskSpec("new", "/c", method="NOPE"),
                TaskSpec("new", "/d"),
            ]
        )

    outcomes = run_with(scenario, emulator_host=own_emulator.address)

    assert [type(o).__name__ for o in outcomes] == [
        "TaskResult",
        "TaskAlreadyExists",
        "InvalidTask",
        "TaskResult",
    ]
    assert own_emulator.call_counts == {"BatchCreateTasks": 2, "CreateQueue": 1}


def test_run_many_falls_back_to_create_task_without_batch_create_tasks(
    own_emulator: Emulator,
) -> None:
    own_emulator.inject_fault("BatchCreateTasks", grpc.StatusCode.UNIMPLEMENTED)

    async def scenario(tm: AsyncTaskManager) -> Any:
        await tm.create_queue("q")
        return await tm.run_many([TaskSpec("q", "/p") for _ in range(30)])

    outcomes = run_with(scenario, emulator_host=own_emulator.address)

    assert outcomes.ok
    assert own_emulator.call_counts["CreateTask"] == 30
    assert len(tasks_in(own_emulator, "q")) == 30


def test_runs_awaited_together_are_each_delivered_once(
    own_emulator: Emulator,
) -> None:
    async def scenario(tm: AsyncTaskManager) -> Any:
        return await asyncio.gather(
            *(tm.run("together", "/p", name=f"t{i}") for i in range(20))
        )

    results = run_with(scenario, emulator_host=own_emulator.address)

    assert sorted(r.task_id for r in results) == sorted(f"t{i}" for i in range(20))
    assert len(tasks_in(own_emulator, "together")) == 20


def test_an_emulator_address_nothing_listens_on_is_refused_at_once() -> None:
    async def scenario(tm: AsyncTaskManager) -> None:
        with pytest.raises(QueuekeeperError, match="cannot reach"):
            await tm.run("q", "/p")

    run_with(scenario, emulator_host="127.0.0.1:1")


def test_the_queue_calls(own_emulator: Emulator) -> None:
    options = QueueOptions(max_dispatches_per_second=5, max_attempts=3)

    async def scenario(tm: AsyncTaskManager) -> list[Any]:
        await tm.create_queue("q", options)
        with pytest.raises(QueueAlreadyExists):
            await tm.create_queue("q")
        await tm.update_queue("q", QueueOptions(max_concurrent_dispatches=7))
        await tm.pause_queue("q")
        paused = await tm.get_queue("q")
        await tm.resume_queue("q")
        await tm.purge_queue("q")
        listed = await tm.list_queues()
        await tm.delete_queue("q")
        with pytest.raises(QueueNotFound):
            await tm.get_queue("q")
        return [paused, listed]

    paused, listed = run_with(scenario, emulator_host=own_emulator.address)

    assert paused.state == "PAUSED"
    assert (paused.max_dispatches_per_second, paused.max_attempts) == (5.0, 3)
    assert paused.max_concurrent_dispatches == 7
    assert [(q.name, q.state) for q in listed] == [("q", "RUNNING")]


def test_transient_failures_are_retried_and_a_named_task_is_made_once(
    own_emulator: Emulator,
) -> None:
    async def scenario(tm: AsyncTaskManager) -> Any:
        await tm.create_queue("q")
        own_emulator.inject_fault("CreateTask", grpc.StatusCode.UNAVAILABLE, count=2)
        first = await tm.run("q", "/p")
        own_emulator.inject_fault(
            "CreateTask", grpc.StatusCode.DEADLINE_EXCEEDED, count=1, when="after"
        )
        second = await tm.run("q", "/p", name="once")
        with pytest.raises(TaskAlreadyExists):
            await tm.run("q", "/p", name="once")
        return first, second

    first, second = run_with(scenario, emulator_host=own_emulator.address)

    assert (first.attempts, second.attempts) == (3, 2)
    assert len(tasks_in(own_emulator, "q")) == 2


def test_a_task_breaking_a_limit_is_refused_before_any_call(
    own_emulator: Emulator,
) -> None:
    async def scenario(tm: AsyncTaskManager) -> None:
        with pytest.raises(InvalidTask, match="30 days"):
            await tm.run("q", "/p", delay=31 * 86400)

    run_with(scenario, emulator_host=own_emulator.address)

    assert own_emulator.call_counts == {}


def test_a_closed_manager_refuses_calls() -> None:
    async def main() -> None:
        tm = AsyncTaskManager(project="p", location="us-central1", base_url="http://h")
        await tm.close()
        with pytest.raises(ClientClosedError):
            await tm.run("q", "/p")

    asyncio.run(main())


def test_from_manifest_and_from_config_make_async_managers(
    own_emulator: Emulator, tmp_path: Path
) -> None:
    manifest = tmp_path / "queues.yaml"
    manifest.write_text(MANIFEST)
    config = tmp_path / "config.yaml"
    config.write_text(
        "task_manager:\n  project: p\n  location: us-central1\n  base_url: http://h\n"
    )

    async def main() -> Any:
        async with AsyncTaskManager.from_manifest(
            manifest, base_url="http://h", emulator_host=own_emulator.address
        ) as tm:
            await tm.run("billing-tasks", "/p")
            queue = await tm.get_queue("billing-tasks")
            with pytest.raises(QueueNotFound, match="billing-typo"):
                await tm.run("billing-typo", "/p")
        return queue, AsyncTaskManager.from_config(config, test_mode=True)

    queue, configured = asyncio.run(main())

    assert queue.state == "PAUSED"  # as declared
    assert isinstance(configured, AsyncTaskManager)
    assert repr(configured).startswith("AsyncTaskManager(project='p'")


NO_NETWORK = """\
import asyncio, os, sys
os.environ.pop("CLOUD_TASKS_EMULATOR_HOST", None)
os.environ["GOOGLE_APPLICATION_CREDENTIALS"] = "/nonexistent/credentials.json"
from queuekeeper import AsyncTaskManager, TaskSpec

async def main():
    async with AsyncTaskManager(project="p", location="us-central1",
                                base_url="https://api.example.com",
                                test_mode=True) as tm:
        await tm.run("emails", "/welcome", payload={"user": 1})
        outcomes = await tm.run_many(
            [TaskSpec("emails", f"/{i}") for i in range(3)]
            + [TaskSpec("emails", "/bad", method="NOPE")])
        await tm.pause_queue("emails")
        queues = await tm.list_queues()
    assert [q.state for q in queues] == ["PAUSED"]
    assert len(tm.outbox) == 4 and tm.outbox[0].payload == {"user": 1}
    assert sorted(outcomes.failed) == [3]

asyncio.run(main())
print(sorted(m for m in sys.modules if m.startswith(("grpc", "google"))))
"""


def test_test_mode_records_everything_without_grpc_or_credentials() -> None:
    done = subprocess.run(
        [sys.executable, "-c", NO_NETWORK], capture_output=True, text=True, timeout=60
    )

    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


@pytest.mark.parametrize(
    "method",
    [
        "run",
        "run_many",
        "create_queue",
        "update_queue",
        "get_queue",
        "list_queues",
        "pause_queue",
        "resume_queue",
        "purge_queue",
        "delete_queue",
        "from_manifest",
        "from_config",
    ],
)
def test_the_async_api_takes_what_the_sync_api_takes(method: str) -> None:
    sync, async_ = getattr(TaskManager, method), getattr(AsyncTaskManager, method)

    assert inspect.signature(sync) == inspect.signature(async_)
    assert inspect.iscoroutinefunction(async_) != method.startswith("from_")
