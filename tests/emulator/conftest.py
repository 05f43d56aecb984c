"""Fixtures: an in-process emulator on a loopback port and the official client."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta

import grpc
import pytest
from google.cloud import tasks_v2
from google.cloud.tasks_v2.services.cloud_tasks.transports import (
    CloudTasksGrpcTransport,
)

from queuekeeper.emulator import Emulator

PARENT = "projects/p1/locations/us-central1"


def queue_name(queue_id: str, parent: str = PARENT) -> str:
    return f"{parent}/queues/{queue_id}"


def connect(emulator: Emulator) -> tasks_v2.CloudTasksClient:
    """The official client, unchanged, over a plain loopback channel."""
    channel = grpc.insecure_channel(emulator.address)
    return tasks_v2.CloudTasksClient(transport=CloudTasksGrpcTransport(channel=channel))


@pytest.fixture
def emulator() -> Iterator[Emulator]:
    # No tombstone by default, so tests can reuse names; tombstone tests opt in.
    with Emulator(queue_tombstone=timedelta(0)) as emu:
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
