"""Fixtures: an in-process emulator on a loopback port and the official client;
for tasks, a manual clock and a real HTTP target."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import grpc
import pytest
from google.cloud import tasks_v2
from google.cloud.tasks_v2.services.cloud_tasks.transports import (
    CloudTasksGrpcTransport,
)

from queuekeeper.emulator import Emulator, ManualClock
from tests.emulator.target import Target

PARENT = "projects/p1/locations/us-central1"


def queue_name(queue_id: str, parent: str = PARENT) -> str:
    return f"{parent}/queues/{queue_id}"


def connect(emulator: Emulator) -> tasks_v2.CloudTasksClient:
    """The official client, unchanged, over a plain loopback channel."""
    channel = grpc.insecure_channel(emulator.address)
    return tasks_v2.CloudTasksClient(transport=CloudTasksGrpcTransport(channel=channel))


@pytest.fixture
def emulator() -> Iterator[Emulator]:
    # No tombstone by default, so tests can reuse names; tombstone tests opt
    # in. gRPC only: the REST surface costs each stop 50 ms (its poll), and
    # test_rest.py has its own emulator.
    with Emulator(queue_tombstone=timedelta(0), rest_port=None) as emu:
        yield emu


@pytest.fixture
def client(emulator: Emulator) -> Iterator[tasks_v2.CloudTasksClient]:
    with connect(emulator) as cloud_tasks:
        yield cloud_tasks


CreateQueue = Callable[..., tasks_v2.Queue]


@pytest.fixture
def create(client: tasks_v2.CloudTasksClient) -> CreateQueue:
    """Create a queue by ID (and optional fields) under PARENT."""

    def create_queue(queue_id: str, **fields: object) -> tasks_v2.Queue:
        queue = tasks_v2.Queue(name=queue_name(queue_id), **fields)
        return client.create_queue(parent=PARENT, queue=queue)

    return create_queue


# Tasks and dispatch: a manual clock, a real HTTP target, and shortcuts.

START = 1_800_000_000.0  # 2027-01-15T08:00:00Z, a fixed point for the manual clock


@pytest.fixture
def target() -> Iterator[Target]:
    served = Target()
    yield served
    served.close()


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@dataclass
class World:
    """An emulator on a manual clock, its client, and an HTTP target."""

    emulator: Emulator
    client: tasks_v2.CloudTasksClient
    clock: ManualClock
    target: Target

    def queue(self, queue_id: str = "q", **fields: Any) -> str:
        """Create a queue under PARENT; its name."""
        queue = tasks_v2.Queue(name=queue_name(queue_id), **fields)
        return self.client.create_queue(parent=PARENT, queue=queue).name

    def task(
        self,
        queue: str,
        path: str = "/task",
        *,
        name: str | None = None,
        view: tasks_v2.Task.View = tasks_v2.Task.View.BASIC,
        request: dict[str, Any] | None = None,
        **fields: Any,
    ) -> tasks_v2.Task:
        """Create an HTTP task for the target's `path`."""
        http = tasks_v2.HttpRequest(url=self.target.url(path), **(request or {}))
        task = tasks_v2.Task(http_request=http, **fields)
        if name is not None:
            task.name = f"{queue}/tasks/{name}"
        return self.client.create_task(
            request=tasks_v2.CreateTaskRequest(
                parent=queue, task=task, response_view=view
            )
        )

    def idle(self) -> None:
        assert self.emulator.wait_idle(5), "the emulator did not settle"

    def advance(self, seconds: float) -> None:
        """Move the clock, then wait for what became due to be dispatched."""
        self.clock.advance(seconds)
        self.idle()


@contextmanager
def running_world(
    clock: ManualClock, target: Target, **options: Any
) -> Iterator[World]:
    with (
        Emulator(queue_tombstone=timedelta(0), clock=clock, **options) as emu,
        connect(emu) as cloud_tasks,
    ):
        yield World(emu, cloud_tasks, clock, target)


@pytest.fixture
def world(clock: ManualClock, target: Target) -> Iterator[World]:
    # gRPC only, as above; test_oidc.py brings the REST surface back.
    with running_world(clock, target, rest_port=None) as running:
        yield running
