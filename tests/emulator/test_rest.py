"""The REST/JSON surface: the client's REST transport and raw HTTP requests."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import grpc
import pytest
from google.api_core import exceptions
from google.api_core.client_options import ClientOptions
from google.auth.credentials import AnonymousCredentials
from google.cloud import tasks_v2
from google.cloud.tasks_v2.services.cloud_tasks.transports import (
    CloudTasksGrpcTransport,
)
from google.protobuf import field_mask_pb2

from queuekeeper.emulator import Emulator

PARENT = "projects/rest-demo/locations/us-central1"


@pytest.fixture(scope="module")
def emu() -> Iterator[Emulator]:
    with Emulator() as emulator:
        yield emulator


@pytest.fixture
def rest(emu: Emulator) -> tasks_v2.CloudTasksClient:
    return tasks_v2.CloudTasksClient(
        transport="rest",
        credentials=AnonymousCredentials(),
        client_options=ClientOptions(api_endpoint=f"http://{emu.rest_address}"),
    )


@pytest.fixture
def grpc_client(emu: Emulator) -> tasks_v2.CloudTasksClient:
    channel = grpc.insecure_channel(emu.address)
    return tasks_v2.CloudTasksClient(transport=CloudTasksGrpcTransport(channel=channel))


def http(emu: Emulator, method: str, path: str, body: Any = None) -> tuple[int, Any]:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(
        f"http://{emu.rest_address}{path}", data=data, method=method
    )
    request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_the_rest_transport_round_trips_what_grpc_sees(
    rest: tasks_v2.CloudTasksClient, grpc_client: tasks_v2.CloudTasksClient
) -> None:
    name = f"{PARENT}/queues/round-trip"
    rest.create_queue(
        parent=PARENT,
        queue={"name": name, "rate_limits": {"max_dispatches_per_second": 7}},
    )
    rest.update_queue(
        queue={"name": name, "retry_config": {"max_attempts": 9}},
        update_mask=field_mask_pb2.FieldMask(paths=["retry_config.max_attempts"]),
    )
    rest.pause_queue(name=name)
    seen = grpc_client.get_queue(name=name)
    assert seen.rate_limits.max_dispatches_per_second == 7
    assert seen.retry_config.max_attempts == 9
    assert seen.state == tasks_v2.Queue.State.PAUSED
    assert rest.get_queue(name=name) == seen
    assert name in [q.name for q in rest.list_queues(parent=PARENT)]
    rest.delete_queue(name=name)
    with pytest.raises(exceptions.NotFound, match="Queue does not exist"):
        rest.get_queue(name=name)


def test_errors_use_googles_json_error_shape(emu: Emulator) -> None:
    status, body = http(emu, "GET", f"/v2/{PARENT}/queues/missing?alt=json")
    assert status == 404
    assert body["error"]["status"] == "NOT_FOUND"
    assert body["error"]["code"] == 404
    assert "Queue does not exist" in body["error"]["message"]


def test_gcloud_style_requests_with_names_and_camel_case_masks(emu: Emulator) -> None:
    name = f"{PARENT}/queues/gcloud-style"
    status, created = http(emu, "POST", f"/v2/{PARENT}/queues?alt=json", {"name": name})
    assert status == 200
    assert created["state"] == "RUNNING"
    assert created["rateLimits"]["maxDispatchesPerSecond"] == 500.0
    status, updated = http(
        emu,
        "PATCH",
        f"/v2/{name}?alt=json&updateMask=rateLimits.maxDispatchesPerSecond",
        {"name": name, "rateLimits": {"maxDispatchesPerSecond": 20.0}},
    )
    assert status == 200
    assert updated["rateLimits"]["maxDispatchesPerSecond"] == 20.0
    status, paused = http(emu, "POST", f"/v2/{name}:pause?alt=json", {})
    assert (status, paused["state"]) == (200, "PAUSED")


def test_clearing_a_field_is_a_masked_path_with_an_empty_value(emu: Emulator) -> None:
    name = f"{PARENT}/queues/cleared"
    http(
        emu,
        "POST",
        f"/v2/{PARENT}/queues",
        {
            "name": name,
            "retryConfig": {"maxAttempts": 5},
        },
    )
    status, cleared = http(
        emu,
        "PATCH",
        f"/v2/{name}?updateMask=retryConfig.maxAttempts",
        {"name": name, "retryConfig": {}},
    )
    assert (status, cleared["retryConfig"]["maxAttempts"]) == (200, 100)


def test_enum_numbers_are_accepted_and_returned_on_request(emu: Emulator) -> None:
    name = f"{PARENT}/queues/numeric"
    status, created = http(
        emu,
        "POST",
        f"/v2/{PARENT}/queues?%24alt=json%3Benum-encoding%3Dint",
        {"name": name, "httpTarget": {"httpMethod": 4}},
    )
    assert status == 200
    assert created["state"] == 1
    assert created["httpTarget"]["httpMethod"] == 4


@pytest.mark.parametrize(
    ("method", "path", "body", "code"),
    [
        ("GET", "/v2/nowhere", None, 404),
        ("POST", f"/v2/{PARENT}/queues", [1, 2], 400),
        ("POST", f"/v2/{PARENT}/queues", {"noSuchField": 1}, 400),
        ("GET", f"/v2/{PARENT}/queues?pageSize=many", None, 400),
    ],
)
def test_bad_requests_get_an_error_not_a_dropped_connection(
    emu: Emulator, method: str, path: str, body: Any, code: int
) -> None:
    status, answer = http(emu, method, path, body)
    assert status == code
    assert answer["error"]["message"]


def test_rest_calls_are_counted_and_meet_injected_faults(emu: Emulator) -> None:
    emu.reset_call_counts()
    emu.inject_fault("ListQueues", grpc.StatusCode.UNAVAILABLE, count=1)
    status, answer = http(emu, "GET", f"/v2/{PARENT}/queues")
    assert (status, answer["error"]["status"]) == (503, "UNAVAILABLE")
    assert http(emu, "GET", f"/v2/{PARENT}/queues")[0] == 200
    assert emu.call_counts == {"ListQueues": 2}


def test_the_rest_transport_round_trips_tasks(
    rest: tasks_v2.CloudTasksClient, grpc_client: tasks_v2.CloudTasksClient
) -> None:
    queue = f"{PARENT}/queues/rest-tasks"
    rest.create_queue(parent=PARENT, queue={"name": queue})
    rest.pause_queue(name=queue)  # keep the tasks where the test can read them
    task = rest.create_task(
        parent=queue,
        task={
            "name": f"{queue}/tasks/t1",
            "http_request": {
                "url": "http://127.0.0.1:9/hook",
                "http_method": tasks_v2.HttpMethod.PUT,
                "body": b"payload",
            },
        },
    )
    assert task.name == f"{queue}/tasks/t1"
    full = rest.get_task(
        request={"name": task.name, "response_view": tasks_v2.Task.View.FULL}
    )
    assert full.http_request.body == b"payload"
    assert grpc_client.get_task(name=task.name).name == task.name
    assert [t.name for t in rest.list_tasks(parent=queue)] == [task.name]
    # Over REST the client maps the HTTP status: 409 is Conflict.
    with pytest.raises(exceptions.Conflict, match="already exists"):
        rest.create_task(
            parent=queue, task={"name": task.name, "http_request": {"url": "http://x/"}}
        )
    rest.delete_task(name=task.name)
    assert list(rest.list_tasks(parent=queue)) == []
