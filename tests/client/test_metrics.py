"""Prometheus metrics of enqueues, once enabled; the INFO line per task;
and a core that imports neither metrics nor tracing libraries."""

from __future__ import annotations

import logging
import subprocess
import sys
from collections.abc import Iterator

import pytest

from queuekeeper import TaskManager
from queuekeeper.client import observe
from queuekeeper.errors import ConfigError, InvalidTask, TaskAlreadyExists

pytest.importorskip("prometheus_client")

from prometheus_client import REGISTRY, CollectorRegistry

KEY = "k3y-metrics-secret"


@pytest.fixture
def tm() -> Iterator[TaskManager]:
    with TaskManager(
        project="p",
        location="us-central1",
        base_url="https://api.example.com",
        auth_key=KEY,
        test_mode=True,
    ) as manager:
        yield manager


@pytest.fixture
def registry() -> Iterator[CollectorRegistry]:
    registry = CollectorRegistry()
    observe.enable_metrics(registry)
    yield registry
    observe.disable_metrics()


def sample(registry: CollectorRegistry, name: str, **labels: str) -> float | None:
    value: float | None = registry.get_sample_value(name, labels)
    return value


def test_enqueued_tasks_are_counted_and_timed_per_queue(
    tm: TaskManager, registry: CollectorRegistry
) -> None:
    tm.run("emails", "/welcome")
    tm.run("emails", "/welcome")
    tm.run("projects/p/locations/us-central1/queues/billing", "/remind")

    assert sample(registry, "queuekeeper_tasks_enqueued_total", queue="emails") == 2
    assert sample(registry, "queuekeeper_tasks_enqueued_total", queue="billing") == 1
    count = "queuekeeper_enqueue_duration_seconds_count"
    assert sample(registry, count, queue="emails") == 2
    total = sample(registry, "queuekeeper_enqueue_duration_seconds_sum", queue="emails")
    assert total is not None and 0 < total < 5


def test_failures_are_counted_by_error(
    tm: TaskManager, registry: CollectorRegistry
) -> None:
    tm.run("emails", "/welcome", name="once")
    with pytest.raises(TaskAlreadyExists):
        tm.run("emails", "/welcome", name="once")
    with pytest.raises(InvalidTask):
        tm.run("emails", "/welcome", method="GET", payload={"a": 1})

    failed = "queuekeeper_tasks_failed_total"
    assert sample(registry, failed, queue="emails", error="TaskAlreadyExists") == 1
    assert sample(registry, failed, queue="emails", error="InvalidTask") == 1
    assert sample(registry, "queuekeeper_tasks_enqueued_total", queue="emails") == 1


def test_nothing_is_counted_until_enabled_or_after_disabled(tm: TaskManager) -> None:
    registry = CollectorRegistry()
    tm.run("emails", "/before")
    observe.enable_metrics(registry)
    observe.enable_metrics(registry)  # a second call changes nothing
    tm.run("emails", "/during")
    observe.disable_metrics()
    tm.run("emails", "/after")

    assert sample(registry, "queuekeeper_tasks_enqueued_total", queue="emails") is None
    assert list(registry.collect()) == []  # unregistered


def test_metrics_move_to_another_registry(
    tm: TaskManager, registry: CollectorRegistry
) -> None:
    other = CollectorRegistry()
    observe.enable_metrics(other)
    tm.run("emails", "/welcome")

    assert list(registry.collect()) == []
    assert sample(other, "queuekeeper_tasks_enqueued_total", queue="emails") == 1


def test_the_default_registry_is_prometheus_clients_own(tm: TaskManager) -> None:
    observe.enable_metrics()
    try:
        tm.run("emails", "/welcome")
        value = REGISTRY.get_sample_value(
            "queuekeeper_tasks_enqueued_total", {"queue": "emails"}
        )
    finally:
        observe.disable_metrics()

    assert value == 1


def test_without_prometheus_client_enabling_metrics_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "prometheus_client", None)  # not importable

    with pytest.raises(ConfigError, match="prometheus-client") as raised:
        observe.enable_metrics()

    assert raised.value.hint == "pip install 'queuekeeper[metrics]'"


def test_the_info_line_holds_no_payload_header_token_or_query(
    tm: TaskManager,
    registry: CollectorRegistry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger="queuekeeper")

    tm.run(
        "emails",
        "/welcome?sig=q-secret-1",
        payload={"card": "4111-1111"},
        headers={"X-Signature": "h-secret-2", "X-Tenant": "acme"},
        oidc_token="robot@p.iam.gserviceaccount.com",
        name="w1",
    )

    [line] = [r for r in caplog.records if r.getMessage().startswith("enqueued")]
    assert (line.levelno, line.name) == (logging.INFO, "queuekeeper.client")
    assert "w1 on emails: POST /welcome (" in line.getMessage()
    for secret in ("q-secret-1", "4111", "h-secret-2", "acme", "robot@", KEY):
        assert secret not in caplog.text


CORE_ONLY = """
import sys
from queuekeeper import TaskManager
with TaskManager(project="p", location="us-central1", base_url="http://h",
                 test_mode=True) as tm:
    tm.run("q", "/p")
print(sorted(m for m in sys.modules
             if m.startswith(("prometheus_client", "opentelemetry"))))
"""


def test_the_client_imports_neither_prometheus_nor_opentelemetry() -> None:
    done = subprocess.run(
        [sys.executable, "-c", CORE_ONLY], capture_output=True, text=True, timeout=60
    )

    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
