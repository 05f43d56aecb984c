"""`queuekeeper emulator` serves until interrupted, and keeps state in --db."""

from __future__ import annotations

import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import grpc
from google.cloud import tasks_v2
from google.cloud.tasks_v2.services.cloud_tasks.transports import (
    CloudTasksGrpcTransport,
)

CLI = str(Path(sys.executable).parent / "queuekeeper")
PARENT = "projects/cmd-demo/locations/europe-west1"


@contextmanager
def running_emulator(*args: str) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    process = subprocess.Popen(
        [CLI, "emulator", "--port", "0", "--rest-port", "0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        banner = [process.stdout.readline().strip() for _ in range(5)]
        address = banner[0].split("gRPC on ")[1].split(",")[0]
        rest = banner[0].split("REST on ")[1]
        assert f"export CLOUD_TASKS_EMULATOR_HOST={address}" in banner
        assert f"export CLOUDSDK_API_ENDPOINT_OVERRIDES_CLOUDTASKS={rest}" in banner
        yield address, process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
        process.wait(timeout=10)


def client(address: str) -> tasks_v2.CloudTasksClient:
    channel = grpc.insecure_channel(address)
    return tasks_v2.CloudTasksClient(transport=CloudTasksGrpcTransport(channel=channel))


def test_the_emulator_command_serves_the_api_and_stops_on_ctrl_c() -> None:
    with running_emulator() as (address, process):
        api = client(address)
        api.create_queue(parent=PARENT, queue={"name": f"{PARENT}/queues/q1"})
        names = [q.name for q in api.list_queues(parent=PARENT)]
        assert names == [f"{PARENT}/queues/q1"]
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=10) == 0


def test_the_emulator_command_keeps_queues_in_its_db_across_restarts(
    tmp_path: Path,
) -> None:
    db = str(tmp_path / "state" / "emulator.sqlite3")
    with running_emulator("--db", db) as (address, _):
        client(address).create_queue(
            parent=PARENT, queue={"name": f"{PARENT}/queues/kept"}
        )
    with running_emulator("--db", db) as (address, _):
        names = [q.name for q in client(address).list_queues(parent=PARENT)]
        assert names == [f"{PARENT}/queues/kept"]
