"""The TaskManager's rules as flows: generators that ask for calls and waits.

A flow yields what it needs done (:class:`Call` a backend method, or
:class:`Sleep`) and is sent each call's answer, or has its error thrown in.
It never performs I/O itself, so one flow serves both clients:
:func:`drive` runs it on a synchronous backend, :func:`drive_async` on an
asynchronous one (or on test mode's synchronous recorder). Retries, what an
answer to a retry means, and auto-create are written once, in flows
(:mod:`queuekeeper.client.calls`, :mod:`queuekeeper.client.bulksend`).

Only :class:`~queuekeeper.errors.QueuekeeperError` is thrown into a flow:
the backends raise nothing else on purpose, so anything else is a bug and
goes straight to the caller.
"""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Generator
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from queuekeeper.errors import QueuekeeperError

T = TypeVar("T")


@dataclass(frozen=True)
class Call:
    """Call the backend's ``method`` with ``args``; one attempt."""

    method: str
    args: tuple[Any, ...]


@dataclass(frozen=True)
class Sleep:
    seconds: float


Effect = Call | Sleep
Flow = Generator[Effect, Any, T]


def call(method: str, *args: Any) -> Flow[Any]:
    """The answer of one backend call (``yield from call(...)``)."""
    return (yield Call(method, args))


def finished(value: T) -> Flow[T]:
    """A flow that asks for nothing and answers ``value``."""
    return value
    yield  # unreachable, but it makes this function a generator


@dataclass(frozen=True)
class _Done(Generic[T]):
    value: T


def _advance(
    flow: Flow[T], answer: Any, error: QueuekeeperError | None
) -> Effect | _Done[T]:
    try:
        return flow.throw(error) if error is not None else flow.send(answer)
    except StopIteration as stop:
        return _Done(stop.value)


def drive(flow: Flow[T], api: Any) -> T:
    """Run ``flow`` to its end on a synchronous backend."""
    answer: Any = None
    error: QueuekeeperError | None = None
    try:
        while not isinstance(step := _advance(flow, answer, error), _Done):
            answer, error = None, None
            if isinstance(step, Sleep):
                time.sleep(step.seconds)
                continue
            try:
                answer = getattr(api, step.method)(*step.args)
            except QueuekeeperError as exc:
                error = exc
        return step.value
    finally:
        flow.close()


async def drive_async(flow: Flow[T], api: Any) -> T:
    """Run ``flow`` to its end; a backend method may be a coroutine or not
    (test mode's recorder answers at once)."""
    answer: Any = None
    error: QueuekeeperError | None = None
    try:
        while not isinstance(step := _advance(flow, answer, error), _Done):
            answer, error = None, None
            if isinstance(step, Sleep):
                await asyncio.sleep(step.seconds)
                continue
            try:
                answer = getattr(api, step.method)(*step.args)
                if inspect.isawaitable(answer):
                    answer = await answer
            except QueuekeeperError as exc:
                error = exc
        return step.value
    finally:
        flow.close()
