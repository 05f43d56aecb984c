"""OpenTelemetry, once enabled: a span per enqueue, and its context sent
with the task in the traceparent header for the worker's spans to join."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator

import pytest

from queuekeeper import TaskManager
from queuekeeper.client import observe
from queuekeeper.client.options import TaskSettings
from queuekeeper.client.request import TaskResult
from queuekeeper.client.taskoutbox import TaskOutbox
from queuekeeper.errors import InvalidTask
from tests.client.webapps import WsgiWorker

pytest.importorskip("opentelemetry.sdk")

from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import (
    InMemorySpanExporter,
)

KEY = "k3y-tracing-secret"


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
def provider() -> TracerProvider:
    return TracerProvider()


@pytest.fixture
def spans(provider: TracerProvider) -> Iterator[InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    observe.enable_tracing(provider)
    yield exporter
    observe.disable_tracing()


def traceparent(span: ReadableSpan) -> str:
    context = span.get_span_context()
    assert context is not None
    flags = int(context.trace_flags)
    return f"00-{context.trace_id:032x}-{context.span_id:016x}-{flags:02x}"


def test_each_enqueue_is_a_producer_span_named_for_its_queue(
    tm: TaskManager, spans: InMemorySpanExporter
) -> None:
    result = tm.run("emails", "/welcome", payload={"user_id": "1"})

    [span] = spans.get_finished_spans()
    assert span.name == "send emails"
    assert span.kind is trace.SpanKind.PRODUCER
    assert dict(span.attributes or {}) == {
        "messaging.system": "gcp_cloud_tasks",
        "messaging.operation.type": "send",
        "messaging.destination.name": "emails",
        "messaging.message.id": result.task_id,
    }


def test_the_task_carries_the_spans_context(
    tm: TaskManager, spans: InMemorySpanExporter
) -> None:
    tm.run("emails", "/welcome")

    [span] = spans.get_finished_spans()
    assert tm.outbox[0].header("traceparent") == traceparent(span)


def test_the_span_is_a_child_of_the_applications_span(
    tm: TaskManager, spans: InMemorySpanExporter, provider: TracerProvider
) -> None:
    with provider.get_tracer("app").start_as_current_span("signup"):
        tm.run("emails", "/welcome")

    enqueue, signup = spans.get_finished_spans()
    assert enqueue.parent is not None and signup.context is not None
    assert enqueue.parent.span_id == signup.context.span_id
    assert enqueue.context is not None
    assert enqueue.context.trace_id == signup.context.trace_id


def test_a_traceparent_of_the_callers_own_wins(
    tm: TaskManager, spans: InMemorySpanExporter
) -> None:
    mine = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"

    tm.run("emails", "/welcome", headers={"TraceParent": mine})

    assert tm.outbox[0].headers[0] == ("TraceParent", mine)
    assert tm.outbox[0].header("traceparent") == mine
    assert len(spans.get_finished_spans()) == 1


def test_a_failed_enqueue_is_an_error_span_and_sends_nothing(
    tm: TaskManager, spans: InMemorySpanExporter
) -> None:
    with pytest.raises(InvalidTask):
        tm.run("emails", "/welcome", method="GET", payload={"a": 1})

    [span] = spans.get_finished_spans()
    assert span.status.status_code is trace.StatusCode.ERROR
    assert [e.name for e in span.events] == ["exception"]
    assert "messaging.message.id" not in (span.attributes or {})
    assert len(tm.outbox) == 0


def test_without_an_sdk_only_an_active_context_is_sent(tm: TaskManager) -> None:
    observe.enable_tracing(trace.NoOpTracerProvider())
    outer = trace.SpanContext(
        trace_id=0x0AF7651916CD43DD8448EB211C80319C,
        span_id=0xB7AD6B7169203331,
        is_remote=True,
        trace_flags=trace.TraceFlags(1),
    )
    try:
        tm.run("emails", "/alone")
        with trace.use_span(trace.NonRecordingSpan(outer)):
            tm.run("emails", "/joined")
    finally:
        observe.disable_tracing()

    alone, joined = tm.outbox
    assert alone.header("traceparent") is None
    assert joined.header("traceparent") == (
        "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
    )


def test_nothing_is_traced_after_disabling(tm: TaskManager) -> None:
    provider = TracerProvider()
    exporter = InMemorySpanExporter()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    observe.enable_tracing(provider)
    observe.disable_tracing()

    tm.run("emails", "/welcome")

    assert exporter.get_finished_spans() == ()
    assert tm.outbox[0].header("traceparent") is None


def test_the_worker_receives_the_trace_context(
    tm: TaskManager, spans: InMemorySpanExporter
) -> None:
    tm.run("emails", "/welcome")
    worker = WsgiWorker(KEY)

    [response] = TaskOutbox(tm).deliver_wsgi(worker)

    [span] = spans.get_finished_spans()
    assert response.status == 200, json.loads(response.body)
    assert worker.environs[0]["HTTP_TRACEPARENT"] == traceparent(span)


def test_an_async_enqueue_can_be_observed_around_its_awaits(
    spans: InMemorySpanExporter,
) -> None:
    settings = TaskSettings(headers=(("X-Trace", "t"),))
    result = TaskResult(
        name="projects/p/locations/l/queues/emails/tasks/t-1",
        queue="emails",
        url="https://h/x",
        method="POST",
        schedule_time=None,
    )

    async def enqueue() -> TaskSettings:
        with observe.observed("emails", settings) as observation:
            await asyncio.sleep(0)
            observation.done(result)
        return observation.settings

    sent = asyncio.run(enqueue())

    [span] = spans.get_finished_spans()
    assert sent.headers == (("X-Trace", "t"), ("traceparent", traceparent(span)))
    assert (span.attributes or {})["messaging.message.id"] == "t-1"
