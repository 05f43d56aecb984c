"""Fixtures that drive the real ``queuekeeper`` CLI against a real emulator.

The CLI runs in-process through ``queuekeeper.cli.main`` (fast, output from
capsys) or as the installed console script where a real process matters
(no terminal, exit codes). Queues are inspected and changed "from the side"
with the official google-cloud-tasks client, as another person would.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import grpc
import pytest
from google.cloud import tasks_v2
from google.cloud.tasks_v2.services.cloud_tasks.transports import (
    CloudTasksGrpcTransport,
)
from google.protobuf import field_mask_pb2

from queuekeeper.cli import main
from queuekeeper.emulator import Emulator

QUEUEKEEPER = Path(sys.executable).parent / "queuekeeper"
MUTATING_CALLS = ("CreateQueue", "UpdateQueue", "PauseQueue", "ResumeQueue")


def queue_path(project: str, location: str, name: str) -> str:
    return f"projects/{project}/locations/{location}/queues/{name}"


# A small manifest most tests start from.
TWO_QUEUES = """\
version: 1
project: p1
location: us-central1
queues:
  - name: orders
    rate_limits: {max_concurrent_dispatches: 20}
  - name: emails
    retry_config: {max_attempts: 5}
"""
ORDERS = queue_path("p1", "us-central1", "orders")
EMAILS = queue_path("p1", "us-central1", "emails")


def nested(path: str, value: Any) -> dict[str, Any]:
    """``("a.b", 1)`` → ``{"a": {"b": 1}}``: a Queue's fields from a mask path."""
    *parents, leaf = path.split(".")
    fields: dict[str, Any] = {leaf: value}
    for part in reversed(parents):
        fields = {part: fields}
    return fields


def mutating_calls(emulator: Emulator) -> dict[str, int]:
    """The calls received that could change a queue."""
    return {k: v for k, v in emulator.call_counts.items() if k in MUTATING_CALLS}


@dataclass(frozen=True)
class Run:
    code: int
    out: str
    err: str

    @property
    def output(self) -> str:
        return self.out + self.err


class Side:
    """Someone else at the live queues: the official client, used directly."""

    def __init__(self, address: str) -> None:
        channel = grpc.insecure_channel(address)
        self.client = tasks_v2.CloudTasksClient(
            transport=CloudTasksGrpcTransport(channel=channel)
        )

    def get(self, path: str) -> tasks_v2.Queue:
        return self.client.get_queue(name=path)

    def names(self, project: str, location: str) -> list[str]:
        parent = f"projects/{project}/locations/{location}"
        return sorted(q.name for q in self.client.list_queues(parent=parent))

    def create(self, path: str, **fields: Any) -> tasks_v2.Queue:
        parent = path.rsplit("/queues/", 1)[0]
        queue = tasks_v2.Queue(name=path, **fields)
        return self.client.create_queue(parent=parent, queue=queue)

    def update(self, path: str, field: str, value: Any) -> tasks_v2.Queue:
        """Set one field, with an update mask naming only that field."""
        queue = tasks_v2.Queue(name=path, **nested(field, value))
        mask = field_mask_pb2.FieldMask(paths=[field])
        return self.client.update_queue(queue=queue, update_mask=mask)

    def pause(self, path: str) -> None:
        self.client.pause_queue(name=path)

    def resume(self, path: str) -> None:
        self.client.resume_queue(name=path)

    def delete(self, path: str) -> None:
        self.client.delete_queue(name=path)

    def close(self) -> None:
        self.client.transport.close()  # type: ignore[no-untyped-call]


@pytest.fixture(autouse=True)
def clean_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test in its own directory, free of the caller's targets."""
    monkeypatch.chdir(tmp_path)
    for name in (
        "CLOUD_TASKS_EMULATOR_HOST",
        "QUEUEKEEPER_EMULATOR_DB",
        "GOOGLE_CLOUD_PROJECT",
    ):
        monkeypatch.delenv(name, raising=False)


StartEmulator = Callable[..., Emulator]
SideOf = Callable[[Emulator], Side]
RunCli = Callable[..., Run]
RunProcess = Callable[..., subprocess.CompletedProcess[str]]
WriteManifest = Callable[..., Path]


@pytest.fixture
def start_emulator(monkeypatch: pytest.MonkeyPatch) -> Iterator[StartEmulator]:
    """Start an emulator and point CLOUD_TASKS_EMULATOR_HOST at it."""
    started: list[Emulator] = []

    def start(**options: Any) -> Emulator:
        emulator = Emulator(**options)
        emulator.start()
        started.append(emulator)
        monkeypatch.setenv("CLOUD_TASKS_EMULATOR_HOST", emulator.address)
        return emulator

    yield start
    for emulator in started:
        emulator.stop()


@pytest.fixture
def emulator(start_emulator: StartEmulator) -> Emulator:
    """An in-memory emulator with Cloud Tasks' default 7-day queue tombstone."""
    return start_emulator(queue_tombstone=timedelta(days=7))


@pytest.fixture
def side_of() -> Iterator[SideOf]:
    """Connect a side client to any emulator; closed after the test."""
    opened: list[Side] = []

    def connect(emulator: Emulator) -> Side:
        opened.append(Side(emulator.address))
        return opened[-1]

    yield connect
    for client in opened:
        client.close()


@pytest.fixture
def side(emulator: Emulator, side_of: SideOf) -> Side:
    """The official client on the default emulator."""
    return side_of(emulator)


@pytest.fixture
def queuekeeper(capsys: pytest.CaptureFixture[str]) -> RunCli:
    """Run the CLI in-process: ``queuekeeper("plan", "-f", path)``."""

    def run(*args: object) -> Run:
        capsys.readouterr()
        code = main([str(arg) for arg in args])
        captured = capsys.readouterr()
        return Run(code, captured.out, captured.err)

    return run


@pytest.fixture
def queuekeeper_process() -> RunProcess:
    """Run the installed console script as a real process, with no terminal."""

    def run(
        *args: object, stdin: int | None = subprocess.DEVNULL
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(QUEUEKEEPER), *map(str, args)],
            stdin=stdin,
            capture_output=True,
            text=True,
            timeout=60,
            env=dict(os.environ),
        )

    return run


@pytest.fixture
def manifest(tmp_path: Path) -> WriteManifest:
    """Write a manifest's text to a file in the test's directory."""

    def write(text: str, name: str = "queues.yaml") -> Path:
        path = tmp_path / name
        path.write_text(text)
        return path

    return write
