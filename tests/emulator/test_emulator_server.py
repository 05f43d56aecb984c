"""The Emulator object: address, persistence, call counts, faults, the dispatch
log, threads, stopping."""

from __future__ import annotations

import socket
import sqlite3
import threading
from concurrent import futures
from pathlib import Path

import pytest
from google.api_core import exceptions
from google.cloud import tasks_v2

from queuekeeper.emulator import Emulator
from tests.emulator.conftest import PARENT, CreateQueue, World, connect, queue_name

Client = tasks_v2.CloudTasksClient


def test_the_address_is_loopback_with_the_port_actually_bound(
    emulator: Emulator,
) -> None:
    host, port = emulator.address.rsplit(":", 1)

    assert host == "127.0.0.1"
    assert int(port) > 0


def test_queues_in_a_database_file_survive_a_restart(tmp_path: Path) -> None:
    db_path = tmp_path / "nested" / "dir" / "emulator.sqlite"
    with Emulator(db_path) as first, connect(first) as client:
        client.create_queue(parent=PARENT, queue=tasks_v2.Queue(name=queue_name("q1")))
        paused = client.pause_queue(name=queue_name("q1"))

    with Emulator(db_path) as second, connect(second) as client:
        assert client.get_queue(name=queue_name("q1")) == paused
        assert [q.name for q in client.list_queues(parent=PARENT)] == [paused.name]


def test_an_in_memory_emulator_starts_empty_each_time() -> None:
    with Emulator() as first, connect(first) as client:
        client.create_queue(parent=PARENT, queue=tasks_v2.Queue(name=queue_name("q1")))
    with Emulator() as second, connect(second) as client:
        assert list(client.list_queues(parent=PARENT)) == []


def test_call_counts_count_each_rpc_by_method_name(
    emulator: Emulator, client: Client, create: CreateQueue
) -> None:
    create("q1")
    client.get_queue(name=queue_name("q1"))
    client.get_queue(name=queue_name("q1"))
    with pytest.raises(exceptions.NotFound):
        client.get_queue(name=queue_name("missing"))
    list(client.list_queues(parent=PARENT))

    assert emulator.call_counts == {"CreateQueue": 1, "GetQueue": 3, "ListQueues": 1}


def test_call_counts_are_a_snapshot_and_can_be_reset(
    emulator: Emulator, create: CreateQueue
) -> None:
    create("q1")
    snapshot = emulator.call_counts
    snapshot["CreateQueue"] = 99

    assert emulator.call_counts == {"CreateQueue": 1}
    emulator.reset_call_counts()
    assert emulator.call_counts == {}


def test_iam_and_cmek_rpcs_are_unimplemented_but_counted(
    emulator: Emulator, client: Client
) -> None:
    with pytest.raises(exceptions.MethodNotImplemented, match="GetIamPolicy"):
        client.get_iam_policy(resource=queue_name("q1"))
    with pytest.raises(exceptions.MethodNotImplemented):
        client.get_cmek_config(name=f"{PARENT}/cmekConfig")

    assert emulator.call_counts == {"GetIamPolicy": 1, "GetCmekConfig": 1}


def test_concurrent_creates_from_many_threads_all_land(
    client: Client, create: CreateQueue
) -> None:
    with futures.ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(lambda n: create(f"q{n:03d}"), range(200)))

    assert len(list(client.list_queues(parent=PARENT))) == 200


def test_concurrent_creates_of_one_name_succeed_exactly_once(
    create: CreateQueue,
) -> None:
    def attempt(_: int) -> bool:
        try:
            create("same")
        except exceptions.AlreadyExists:
            return False
        return True

    with futures.ThreadPoolExecutor(max_workers=8) as pool:
        outcomes = list(pool.map(attempt, range(16)))

    assert outcomes.count(True) == 1


def test_wait_returns_once_another_thread_stops_the_emulator() -> None:
    emulator = Emulator()
    emulator.start()
    stopper = threading.Timer(0.1, emulator.stop)
    stopper.start()

    emulator.wait()

    stopper.join()
    with pytest.raises(RuntimeError, match="not running"):
        _ = emulator.address


def test_stopping_twice_is_harmless() -> None:
    emulator = Emulator()
    emulator.start()
    emulator.stop()
    emulator.stop()

    with pytest.raises(RuntimeError):
        emulator.set_queue_state(queue_name("q1"), "PAUSED")


def test_faults_can_be_injected_into_task_rpcs(
    emulator: Emulator, client: Client, create: CreateQueue
) -> None:
    queue = create("q1").name
    client.pause_queue(name=queue)
    task = tasks_v2.Task(
        name=f"{queue}/tasks/t1",
        http_request=tasks_v2.HttpRequest(url="http://127.0.0.1:1/"),
    )
    emulator.inject_fault("CreateTask", count=1, when="after")

    # The task is created but the answer is lost; the retry finds it there.
    with pytest.raises(exceptions.ServiceUnavailable):
        client.create_task(parent=queue, task=task)
    with pytest.raises(exceptions.AlreadyExists):
        client.create_task(parent=queue, task=task)

    assert emulator.call_counts["CreateTask"] == 2


def test_the_dispatch_log_is_a_snapshot_that_can_be_cleared(
    world: World,
) -> None:
    world.task(world.queue())
    world.idle()
    snapshot = world.emulator.dispatch_log
    snapshot.clear()

    assert len(world.emulator.dispatch_log) == 1
    world.emulator.clear_dispatch_log()
    assert world.emulator.dispatch_log == []


def test_wait_idle_needs_a_running_emulator() -> None:
    emulator = Emulator()

    with pytest.raises(RuntimeError, match="not running"):
        emulator.wait_idle(0.1)


def test_a_second_emulator_cannot_take_a_port_already_in_use() -> None:
    with Emulator(rest_port=None) as first:
        port = int(first.address.rsplit(":", 1)[1])
        with pytest.raises(RuntimeError):
            Emulator(port=port, rest_port=None).start()


def test_a_rest_port_in_use_fails_the_start_and_leaves_nothing_running() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        emulator = Emulator(rest_port=taken.getsockname()[1])
        with pytest.raises(OSError):
            emulator.start()
        with pytest.raises(RuntimeError):
            _ = emulator.address


def test_one_database_file_serves_one_emulator_at_a_time(tmp_path: Path) -> None:
    db = tmp_path / "state.sqlite3"
    with (
        Emulator(db, rest_port=None),
        pytest.raises(RuntimeError, match="in use by another emulator"),
    ):
        Emulator(db, rest_port=None).start()
    with Emulator(db, rest_port=None) as again:  # free once the first stops
        assert again.address


def test_the_emulator_refuses_another_applications_database(tmp_path: Path) -> None:
    db = tmp_path / "app.sqlite3"
    with sqlite3.connect(db) as other:
        other.execute("CREATE TABLE users (id INTEGER)")
    with pytest.raises(sqlite3.DatabaseError, match="another application"):
        Emulator(db, rest_port=None).start()
    with sqlite3.connect(db) as other:
        tables = {r[0] for r in other.execute("SELECT name FROM sqlite_master")}
    assert tables == {"users"}
