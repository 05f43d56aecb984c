"""The pytest plugin gives applications' tests a running emulator."""

from __future__ import annotations

import os

import grpc
from google.cloud import tasks_v2
from google.cloud.tasks_v2.services.cloud_tasks.transports import (
    CloudTasksGrpcTransport,
)

from queuekeeper.emulator import Emulator

PARENT = "projects/plugin-demo/locations/europe-west1"


def test_the_fixture_serves_an_emulator_named_by_the_environment(
    cloud_tasks_emulator: Emulator,
) -> None:
    address = os.environ["CLOUD_TASKS_EMULATOR_HOST"]
    assert address == cloud_tasks_emulator.address
    client = tasks_v2.CloudTasksClient(
        transport=CloudTasksGrpcTransport(channel=grpc.insecure_channel(address))
    )
    name = f"{PARENT}/queues/from-plugin"
    client.create_queue(parent=PARENT, queue={"name": name})
    client.delete_queue(name=name)
    client.create_queue(parent=PARENT, queue={"name": name})  # no tombstone
    assert [q.name for q in client.list_queues(parent=PARENT)] == [name]
