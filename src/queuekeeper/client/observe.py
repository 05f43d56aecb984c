"""Metrics and traces of enqueued tasks, for applications that ask for them.

Both are off until enabled, and then apply to every TaskManager in the
process, as Prometheus metrics and OpenTelemetry providers do:

- :func:`enable_metrics` (extra ``queuekeeper[metrics]``): per queue, the
  counters ``queuekeeper_tasks_enqueued_total`` and
  ``queuekeeper_tasks_failed_total`` (with the error's class name) and the
  histogram ``queuekeeper_enqueue_duration_seconds`` of accepted tasks.
- :func:`enable_tracing` (extra ``queuekeeper[otel]``): a PRODUCER span
  ``send QUEUE`` per enqueue, whose context goes out with the task in the
  W3C ``traceparent`` (and ``tracestate``) headers, so the worker's spans
  can join the trace. A header of the caller's own with that name wins.

Neither library is imported until its ``enable_`` function is called.
TaskManager's one-task enqueue is :func:`instrumented`; another way of
sending a task wraps it in :func:`observed`, which async code can use too.
"""

from __future__ import annotations

import dataclasses
import functools
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from typing import TYPE_CHECKING, Any, TypeVar

from queuekeeper.client.options import TaskSettings
from queuekeeper.client.request import TaskResult
from queuekeeper.errors import ConfigError

if TYPE_CHECKING:
    from opentelemetry.propagators.textmap import TextMapPropagator
    from opentelemetry.trace import Span, Tracer, TracerProvider
    from prometheus_client import CollectorRegistry, Counter, Histogram

M = TypeVar("M")
Enqueue = Callable[[M, str, str, TaskSettings], TaskResult]

# Enqueues take milliseconds; retries stretch them up to the retry deadline.
DURATION_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)
# OpenTelemetry's messaging conventions have no name for Cloud Tasks.
MESSAGING_SYSTEM = "gcp_cloud_tasks"


@dataclasses.dataclass(frozen=True)
class _Metrics:
    registry: CollectorRegistry
    enqueued: Counter
    failed: Counter
    duration: Histogram


@dataclasses.dataclass(frozen=True)
class _Tracing:
    tracer: Tracer
    propagator: TextMapPropagator
    producer: Any  # SpanKind.PRODUCER


# Replaced whole under the lock, read without it.
_metrics: _Metrics | None = None
_tracing: _Tracing | None = None
_lock = threading.Lock()


def enable_metrics(registry: CollectorRegistry | None = None) -> None:
    """Count enqueues in ``registry`` (default: prometheus_client's own).

    Calling it again with another registry moves the metrics there.
    """
    global _metrics
    try:
        import prometheus_client as prom
    except ImportError as exc:
        raise _missing("prometheus-client", "metrics") from exc
    registry = prom.REGISTRY if registry is None else registry
    with _lock:
        if _metrics is not None and _metrics.registry is registry:
            return
        _unregister(_metrics)
        labels = ("queue",)
        _metrics = _Metrics(
            registry,
            prom.Counter(
                "queuekeeper_tasks_enqueued",
                "Tasks Cloud Tasks accepted (or test mode recorded).",
                labels,
                registry=registry,
            ),
            prom.Counter(
                "queuekeeper_tasks_failed",
                "Tasks that could not be enqueued, by error.",
                (*labels, "error"),
                registry=registry,
            ),
            prom.Histogram(
                "queuekeeper_enqueue_duration_seconds",
                "Time to enqueue an accepted task, retries included.",
                labels,
                registry=registry,
                buckets=DURATION_BUCKETS,
            ),
        )


def disable_metrics() -> None:
    """Stop counting and unregister the metrics."""
    global _metrics
    with _lock:
        _unregister(_metrics)
        _metrics = None


def enable_tracing(tracer_provider: TracerProvider | None = None) -> None:
    """A span per enqueue from ``tracer_provider`` (default: the global one)."""
    global _tracing
    try:
        from opentelemetry import trace
        from opentelemetry.trace.propagation.tracecontext import (
            TraceContextTextMapPropagator,
        )
    except ImportError as exc:
        raise _missing("opentelemetry-api", "otel") from exc
    tracer = trace.get_tracer("queuekeeper", tracer_provider=tracer_provider)
    with _lock:
        _tracing = _Tracing(
            tracer, TraceContextTextMapPropagator(), trace.SpanKind.PRODUCER
        )


def disable_tracing() -> None:
    global _tracing
    with _lock:
        _tracing = None


class Observation:
    """One enqueue being observed: the settings to send, with the trace
    headers when a span is active; ``done`` records the accepted task."""

    def __init__(
        self, queue: str, settings: TaskSettings, metrics: _Metrics | None
    ) -> None:
        self.queue = queue
        self.settings = settings
        self.span: Span | None = None
        self._metrics = metrics
        self._started = time.perf_counter()

    def done(self, result: TaskResult) -> None:
        if self.span is not None:
            self.span.set_attribute("messaging.message.id", result.task_id)
        if self._metrics is not None:
            elapsed = time.perf_counter() - self._started
            self._metrics.enqueued.labels(self.queue).inc()
            self._metrics.duration.labels(self.queue).observe(elapsed)


@contextmanager
def observed(queue: str, settings: TaskSettings) -> Iterator[Observation]:
    """Observe the enqueue of one task on ``queue`` (an id or a full path):
    send ``.settings``, call ``.done(result)`` once it is accepted. An
    exception leaving the block counts as a failure. Usable in async code."""
    metrics, tracing = _metrics, _tracing
    observation = Observation(queue.rsplit("/", 1)[-1], settings, metrics)
    if metrics is None and tracing is None:
        yield observation
        return
    with (
        _counted(metrics, observation.queue),
        _span(tracing, observation.queue) as span,
    ):
        if tracing is not None:
            observation.span = span
            observation.settings = _with_trace_headers(tracing, settings)
        yield observation


def instrumented(enqueue: Enqueue[M]) -> Enqueue[M]:
    """Wrap a TaskManager's one-task enqueue in :func:`observed`."""

    @functools.wraps(enqueue)
    def wrapper(
        manager: M, queue: str, path: str, settings: TaskSettings
    ) -> TaskResult:
        if _metrics is None and _tracing is None:
            return enqueue(manager, queue, path, settings)
        with observed(queue, settings) as observation:
            result = enqueue(manager, queue, path, observation.settings)
            observation.done(result)
        return result

    return wrapper


@contextmanager
def _counted(metrics: _Metrics | None, queue: str) -> Iterator[None]:
    try:
        yield
    except Exception as exc:
        if metrics is not None:
            metrics.failed.labels(queue, type(exc).__name__).inc()
        raise


def _span(tracing: _Tracing | None, queue: str) -> AbstractContextManager[Span | None]:
    """The enqueue's span, made current; without tracing, None."""
    if tracing is None:
        return nullcontext(None)
    return tracing.tracer.start_as_current_span(
        f"send {queue}",
        kind=tracing.producer,
        attributes={
            "messaging.system": MESSAGING_SYSTEM,
            "messaging.operation.type": "send",
            "messaging.destination.name": queue,
        },
    )


def _with_trace_headers(tracing: _Tracing, settings: TaskSettings) -> TaskSettings:
    carrier: dict[str, str] = {}
    tracing.propagator.inject(carrier)  # nothing without a valid span context
    taken = {name.lower() for name, _ in settings.headers}
    extra = tuple((k, v) for k, v in carrier.items() if k.lower() not in taken)
    if not extra:
        return settings
    return dataclasses.replace(settings, headers=(*settings.headers, *extra))


def _unregister(metrics: _Metrics | None) -> None:
    if metrics is not None:
        for collector in (metrics.enqueued, metrics.failed, metrics.duration):
            metrics.registry.unregister(collector)


def _missing(package: str, extra: str) -> ConfigError:
    return ConfigError(
        f"{package} is not installed",
        hint=f"pip install 'queuekeeper[{extra}]'",
    )
