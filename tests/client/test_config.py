"""from_config and from_manifest: YAML as written, interpolated, with every
problem at file:line; `queuekeeper validate` accepts the same files."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from queuekeeper import TaskManager
from queuekeeper.cli import main
from queuekeeper.emulator import Emulator
from queuekeeper.errors import ConfigError, ManifestError, QueueNotFound

CONFIG = """\
task_manager:
  project: "my-gcp-project"
  location: "europe-west1"
  base_url: "https://api.example.com"
  auth_key: "${WEBHOOK_API_KEY}"
  queue_options:
    max_dispatches_per_second: 10.0
    max_concurrent_dispatches: 5
    max_attempts: 3
"""

WITH_QUEUES = """\
version: 1
project: my-gcp-project
location: europe-west1
queues:
  - name: billing-tasks
    retry_config: {max_attempts: 7}
task_manager:
  project: my-gcp-project
  location: europe-west1
  base_url: ${API_BASE:-https://api.example.com/v2}
  queue_options: {max_attempts: unlimited}
"""


Write = Callable[..., Path]


@pytest.fixture
def write(tmp_path: Path) -> Write:
    def write(text: str, name: str = "config.yaml") -> Path:
        path = tmp_path / name
        path.write_text(text)
        return path

    return write


def test_the_task_manager_block_loads_as_written_with_interpolation(
    write: Write, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WEBHOOK_API_KEY", "from-the-environment")

    tm = TaskManager.from_config(write(CONFIG), test_mode=True)
    tm.run("q", "/p")

    assert (tm.project, tm.location) == ("my-gcp-project", "europe-west1")
    assert tm.base_url == "https://api.example.com"
    assert tm.queue_options is not None
    assert tm.queue_options.settings() == {
        "rate_limits.max_dispatches_per_second": 10.0,
        "rate_limits.max_concurrent_dispatches": 5,
        "retry_config.max_attempts": 3,
    }
    assert tm.outbox[0].url == "https://api.example.com/p"
    assert "from-the-environment" not in repr(tm)


def test_a_missing_variable_is_reported_at_its_line(write: Write) -> None:
    with pytest.raises(ConfigError) as raised:
        TaskManager.from_config(write(CONFIG))

    [problem] = raised.value.problems
    assert (problem.line, problem.path) == (5, "task_manager.auth_key")
    assert "WEBHOOK_API_KEY" in problem.message
    assert "config.yaml:5: task_manager.auth_key" in str(raised.value)


def test_every_problem_in_the_block_is_reported_with_file_and_line(
    write: Write,
) -> None:
    path = write(
        "task_manager:\n"
        "  project: p1\n"
        "  location: Europe West\n"
        "  base_url: https://api.example.com/?debug=1\n"
        "  auth_key: 12345\n"
        "  queue_options:\n"
        "    max_attempts: 0\n"
        "    max_dispatches_per_second: 900\n"
        "  retries: 3\n"
    )

    with pytest.raises(ConfigError) as raised:
        TaskManager.from_config(path)

    where = {(p.line, p.path) for p in raised.value.problems}
    assert where == {
        (3, "task_manager.location"),
        (4, "task_manager.base_url"),
        (5, "task_manager.auth_key"),
        (7, "task_manager.queue_options.max_attempts"),
        (8, "task_manager.queue_options.max_dispatches_per_second"),
        (9, "task_manager.retries"),
    }
    assert "12345" not in str(raised.value)


def test_a_base_url_the_schema_lets_through_is_still_checked_at_its_line(
    write: Write,
) -> None:
    path = write(
        "task_manager:\n  project: p1\n  location: europe-west1\n"
        "  base_url: https://api.example.com:99999\n"
    )

    with pytest.raises(ConfigError) as raised:
        TaskManager.from_config(path)

    [problem] = raised.value.problems
    assert (problem.line, problem.path) == (4, "task_manager.base_url")


def test_a_manifest_without_a_task_manager_block_is_not_a_config(write: Write) -> None:
    path = write("version: 1\nproject: p1\nlocation: europe-west1\nqueues: []\n")

    with pytest.raises(ConfigError, match="1 problem") as raised:
        TaskManager.from_config(path)

    assert "no task_manager: block" in str(raised.value)


def test_queues_in_the_same_file_are_the_declarations_for_auto_create(
    write: Write, own_emulator: Emulator
) -> None:
    tm = TaskManager.from_config(write(WITH_QUEUES), emulator_host=own_emulator.address)

    tm.run("billing-tasks", "/p")
    with pytest.raises(QueueNotFound):
        tm.run("undeclared", "/p")

    assert tm.base_url == "https://api.example.com/v2"
    assert tm.get_queue("billing-tasks").max_attempts == 7
    tm.close()


def test_keyword_arguments_win_over_the_file(write: Write) -> None:
    tm = TaskManager.from_config(
        write(WITH_QUEUES), test_mode=True, base_url="http://localhost:8080"
    )

    assert tm.test_mode and tm.base_url == "http://localhost:8080"


def test_validate_accepts_a_config_file_and_a_manifest_with_a_block(
    write: Write, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WEBHOOK_API_KEY", "k")

    code = main(["validate", str(write(CONFIG)), str(write(WITH_QUEUES, "m.yaml"))])

    assert code == 0, capsys.readouterr().err


def test_validate_reports_a_bad_block_at_its_line(
    write: Write, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(WITH_QUEUES.replace("${API_BASE:-https://api.example.com/v2}", "x"))

    code = main(["validate", str(path)])

    assert code == 1
    assert f"{path}:10: task_manager.base_url" in capsys.readouterr().err


def test_a_manifest_needs_its_keys_when_it_declares_queues(
    write: Write, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write("queues: []\ntask_manager: {project: p, location: l, base_url: x}\n")

    assert main(["validate", str(path)]) == 1
    assert "missing required key 'version'" in capsys.readouterr().err


def test_from_manifest_takes_project_and_location_from_the_manifest(
    write: Write,
) -> None:
    path = write(WITH_QUEUES)

    tm = TaskManager.from_manifest(path, base_url="https://h", test_mode=True)

    assert (tm.project, tm.location) == ("my-gcp-project", "europe-west1")


def test_from_manifest_asks_for_a_scope_when_the_manifest_has_several(
    write: Write,
) -> None:
    path = write(
        "version: 1\nproject: p1\nlocation: europe-west1\nqueues:\n"
        "  - name: a\n  - name: b\n    location: us-east1\n"
    )

    with pytest.raises(ConfigError, match="pass project= and location="):
        TaskManager.from_manifest(path, base_url="https://h", test_mode=True)
    tm = TaskManager.from_manifest(
        path, location="us-east1", base_url="https://h", test_mode=True
    )
    assert tm.location == "us-east1"


def test_a_broken_manifest_lists_its_problems_in_the_error(write: Write) -> None:
    path = write("version: 1\nproject: p1\nlocation: europe-west1\nqueues: [{}]\n")

    with pytest.raises(ManifestError) as raised:
        TaskManager.from_manifest(path, base_url="https://h")

    assert f"{path}:4" in str(raised.value)
