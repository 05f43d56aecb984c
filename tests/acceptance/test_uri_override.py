"""A URI override sends only the parts it declares: the rest of each task's URL
stays as the task has it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest
from google.cloud import tasks_v2
from google.cloud.tasks_v2.services.cloud_tasks.transports import (
    CloudTasksGrpcTransport,
)

from queuekeeper.cli import main
from queuekeeper.emulator import Emulator

HEADER = "version: 1\nproject: uri-demo\nlocation: europe-west1\nqueues:\n"
NAME = "projects/uri-demo/locations/europe-west1/queues/q"


@pytest.fixture
def emulator(monkeypatch: pytest.MonkeyPatch) -> Iterator[Emulator]:
    with Emulator() as emu:
        monkeypatch.setenv("CLOUD_TASKS_EMULATOR_HOST", emu.address)
        yield emu


def apply(tmp_path: Path, override: str) -> int:
    path = tmp_path / "queues.yaml"
    path.write_text(HEADER + f"  - name: q\n    http_target:\n      {override}\n")
    code = main(["apply", "-f", str(path), "--auto-approve"])
    assert main(["plan", "-f", str(path), "--detailed-exitcode"]) == 0
    return code


def live_override(emulator: Emulator) -> tasks_v2.UriOverride:
    channel = grpc.insecure_channel(emulator.address)
    client = tasks_v2.CloudTasksClient(
        transport=CloudTasksGrpcTransport(channel=channel)
    )
    return client.get_queue(name=NAME).http_target.uri_override


def test_a_host_alone_leaves_scheme_port_path_and_query_unset(
    emulator: Emulator, tmp_path: Path
) -> None:
    assert apply(tmp_path, "uri_override: {host: hooks.example.com}") == 0
    raw = tasks_v2.UriOverride.pb(live_override(emulator))
    assert raw.host == "hooks.example.com"
    for part in ("scheme", "port", "path_override", "query_override"):
        assert not raw.HasField(part), part


def test_declared_parts_are_set_including_a_port_that_clears(
    emulator: Emulator, tmp_path: Path
) -> None:
    override = (
        "uri_override: {scheme: HTTP, port: 0, path_override: {path: /v2/tasks}, "
        "uri_override_enforce_mode: IF_NOT_EXISTS}"
    )
    assert apply(tmp_path, override) == 0
    raw = tasks_v2.UriOverride.pb(live_override(emulator))
    assert raw.HasField("port") and raw.port == 0
    assert raw.path_override.path == "/v2/tasks"
    assert not raw.HasField("host") and not raw.HasField("query_override")
