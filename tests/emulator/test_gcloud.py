"""The gcloud CLI, an independent client, against the REST surface.

Each command runs as a subprocess with credentials disabled; what gcloud
does is then read back through the official client over gRPC.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Callable, Iterator

import grpc
import pytest
from google.cloud import tasks_v2
from google.cloud.tasks_v2.services.cloud_tasks.transports import (
    CloudTasksGrpcTransport,
)

from queuekeeper.emulator import Emulator
from tests.emulator.target import Target

pytestmark = pytest.mark.skipif(
    shutil.which("gcloud") is None, reason="the gcloud CLI is not installed"
)

PROJECT, LOCATION = "gcloud-demo", "us-central1"
PARENT = f"projects/{PROJECT}/locations/{LOCATION}"
Gcloud = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture(scope="module")
def emu() -> Iterator[Emulator]:
    with Emulator() as emulator:
        yield emulator


@pytest.fixture(scope="module")
def gcloud(emu: Emulator, tmp_path_factory: pytest.TempPathFactory) -> Gcloud:
    config = tmp_path_factory.mktemp("gcloud-config")
    env = {
        **os.environ,
        "CLOUDSDK_CONFIG": str(config),
        "CLOUDSDK_API_ENDPOINT_OVERRIDES_CLOUDTASKS": f"http://{emu.rest_address}/",
        "CLOUDSDK_AUTH_DISABLE_CREDENTIALS": "true",
        "CLOUDSDK_CORE_PROJECT": PROJECT,
        "CLOUDSDK_CORE_DISABLE_PROMPTS": "1",
    }

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        command = ["gcloud", *args, f"--location={LOCATION}"]
        return subprocess.run(
            command, env=env, capture_output=True, text=True, timeout=120, check=False
        )

    return run


@pytest.fixture(scope="module")
def client(emu: Emulator) -> tasks_v2.CloudTasksClient:
    channel = grpc.insecure_channel(emu.address)
    return tasks_v2.CloudTasksClient(transport=CloudTasksGrpcTransport(channel=channel))


def test_gcloud_queue_commands_agree_with_the_grpc_client(
    gcloud: Gcloud, client: tasks_v2.CloudTasksClient
) -> None:
    name = f"{PARENT}/queues/gq"
    created = gcloud(
        "tasks",
        "queues",
        "create",
        "gq",
        "--max-attempts=5",
        "--min-backoff=1s",
        "--max-backoff=60s",
        "--max-doublings=3",
        "--max-dispatches-per-second=10",
        "--max-concurrent-dispatches=4",
        "--http-header-override=X-A:1",
        "--http-method-override=PUT",
    )
    assert created.returncode == 0, created.stderr
    seen = client.get_queue(name=name)
    assert seen.retry_config.max_attempts == 5
    assert seen.rate_limits.max_concurrent_dispatches == 4
    assert seen.http_target.http_method == tasks_v2.HttpMethod.PUT

    assert (
        gcloud(
            "tasks", "queues", "update", "gq", "--max-dispatches-per-second=20"
        ).returncode
        == 0
    )
    assert client.get_queue(name=name).rate_limits.max_dispatches_per_second == 20
    assert (
        gcloud("tasks", "queues", "update", "gq", "--clear-max-attempts").returncode
        == 0
    )
    assert client.get_queue(name=name).retry_config.max_attempts == 100

    described = gcloud("tasks", "queues", "describe", "gq", "--format=json")
    assert json.loads(described.stdout)["rateLimits"]["maxDispatchesPerSecond"] == 20
    listed = gcloud("tasks", "queues", "list", "--format=value(name)")
    assert "gq" in listed.stdout.split()

    assert gcloud("tasks", "queues", "pause", "gq").returncode == 0
    assert client.get_queue(name=name).state == tasks_v2.Queue.State.PAUSED
    assert gcloud("tasks", "queues", "resume", "gq").returncode == 0
    assert client.get_queue(name=name).state == tasks_v2.Queue.State.RUNNING
    assert gcloud("tasks", "queues", "purge", "gq").returncode == 0
    assert client.get_queue(name=name).purge_time is not None
    assert gcloud("tasks", "queues", "delete", "gq").returncode == 0
    missing = gcloud("tasks", "queues", "describe", "gq")
    assert missing.returncode != 0
    assert "Queue does not exist" in missing.stderr


def test_gcloud_creates_an_http_task_that_is_dispatched(gcloud: Gcloud) -> None:
    target = Target()
    try:
        assert gcloud("tasks", "queues", "create", "gt").returncode == 0
        created = gcloud(
            "tasks",
            "create-http-task",
            "t-1",
            "--queue=gt",
            f"--url={target.url('/hook')}",
            "--method=PUT",
            "--header=X-A:1",
            '--body-content={"a":1}',
        )
        assert created.returncode == 0, created.stderr
        (request,) = target.wait_for(1, timeout=10)
        assert request.method == "PUT"
        assert request.path == "/hook"
        assert request.header("X-A") == "1"
        assert request.body == b'{"a":1}'
        assert request.header("X-CloudTasks-TaskName") == "t-1"
        listed = gcloud("tasks", "list", "--queue=gt", "--format=value(name)")
        assert listed.returncode == 0, listed.stderr
    finally:
        target.close()
