"""Sending ``run_many``'s checked tasks: BatchCreateTasks, 100 tasks a call
per queue, or CreateTask one by one where the service lacks it.

:class:`BulkSend` hands its manager phases of flows to run side by side and
settles their answers; the manager only drives them. The first call for a
queue this TaskManager has not delivered to yet goes alone, so a missing
queue is auto-created once, not by every call that finds it missing.

A batch that fails as a whole with a transient error is sent again with the
same ``request_id``, which the service uses to answer a repeat with the
first operation instead of doing it twice. Tasks the answer lists as failed
with a transient error are sent again in a new batch; on such a repeat a
named task answering ALREADY_EXISTS was made by the earlier call whose
answer was lost, and counts as delivered. An unnamed task is at least once,
as with ``run``: where the service does not match a repeat to its request
id, or a task is repeated after its own transient failure, it can be made
twice.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from queuekeeper.client import calls
from queuekeeper.client.backend import CreatedTask
from queuekeeper.client.bulk import Item, Outcome, Outcomes, Prepared
from queuekeeper.client.flow import Flow, call
from queuekeeper.client.request import TaskRequest, TaskResult
from queuekeeper.client.retry import RetryPolicy, retrying
from queuekeeper.errors import (
    ApiError,
    QueuekeeperError,
    QueueNotFound,
    TransientError,
)

log = logging.getLogger("queuekeeper.client")

MAX_BATCH = 100  # BatchCreateTasksRequest.requests: "The maximum ... is 100"
Sent = tuple[CreatedTask, int]  # the task, and the calls that carried it
# A unit's outcomes by input index; None: BatchCreateTasks is unimplemented.
Answer = Mapping[int, Outcome] | None
SendOne = Callable[[TaskRequest, str], Flow[TaskResult]]
MakeResult = Callable[[TaskRequest, CreatedTask, int], TaskResult]


@dataclass(frozen=True)
class Unit:
    """One call's worth of tasks for one queue: a batch, or a single task."""

    queue: str  # the full queue path
    items: tuple[Item, ...]
    batch: bool


class BulkSend:
    """The state of one ``run_many``: what is left to send, and outcomes."""

    def __init__(
        self,
        prepared: Prepared,
        *,
        policy: RetryPolicy,
        make_queue: calls.QueueMaker | None,
        send_one: SendOne,
        result: MakeResult,
        seen: set[str],
        parallel: int,
        batch: bool,
    ) -> None:
        self._policy, self._make_queue = policy, make_queue
        self._send_one, self._result = send_one, result
        self._seen, self.parallel = seen, parallel
        self._outcomes: dict[int, Outcome] = dict(prepared.refused)
        self._count = prepared.count
        self._pending = _units(prepared.items, batch)
        self._tried = {queue for queue in self._pending if queue in seen}
        self._current: list[Unit] = []
        self.unimplemented = False

    def next_phase(self) -> list[Flow[Answer]]:
        """The flows to run side by side now; none when all is sent."""
        phase: list[Unit] = []
        for queue, units in list(self._pending.items()):
            alone = self.parallel > 1 and queue not in self._tried
            taken = 1 if alone else len(units)
            phase += units[:taken]
            if units[taken:]:
                self._pending[queue] = units[taken:]
            else:
                del self._pending[queue]
        phase.sort(key=lambda unit: unit.items[0].index)
        self._current = phase
        return [self._flow(unit) for unit in phase]

    def settle(self, answers: Sequence[Answer]) -> None:
        """Take the answers of the phase's flows, in the order given."""
        for unit, answer in zip(self._current, answers, strict=True):
            if answer is None:
                self.unimplemented = True
                singles = [Unit(unit.queue, (item,), False) for item in unit.items]
                self._pending[unit.queue] = singles + self._pending.get(unit.queue, [])
                continue
            self._outcomes.update(answer)
            self._tried.add(unit.queue)
            if any(isinstance(o, TaskResult) for o in answer.values()):
                self._seen.add(unit.queue)
        if self.unimplemented:
            self._pending = {
                queue: [Unit(queue, (item,), False) for u in units for item in u.items]
                for queue, units in self._pending.items()
            }

    def outcomes(self) -> Outcomes:
        return Outcomes(tuple(self._outcomes[i] for i in range(self._count)))

    def _flow(self, unit: Unit) -> Flow[Answer]:
        return self._batch(unit) if unit.batch else self._single(unit.items[0])

    def _single(self, item: Item) -> Flow[Answer]:
        try:
            result = yield from self._send_one(item.request, item.path)
        except QueuekeeperError as exc:
            return {item.index: exc}
        return {item.index: result}

    def _batch(self, unit: Unit) -> Flow[Answer]:
        started = time.perf_counter()
        requests = [item.request for item in unit.items]
        sent = yield from send_batch(self._policy, requests, self._make_queue)
        if sent is None:
            return None
        answer: dict[int, Outcome] = {}
        for item, outcome in zip(unit.items, sent, strict=True):
            if isinstance(outcome, tuple):
                answer[item.index] = self._result(item.request, *outcome)
            else:
                answer[item.index] = outcome
        made = sum(isinstance(o, TaskResult) for o in answer.values())
        log.info(
            "enqueued %d of %d tasks on %s with BatchCreateTasks (%.1f ms)",
            made,
            len(requests),
            requests[0].queue.name,
            (time.perf_counter() - started) * 1000,
        )
        return answer


def send_batch(
    policy: RetryPolicy,
    requests: Sequence[TaskRequest],
    make_queue: calls.QueueMaker | None,
) -> Flow[list[Sent | QueuekeeperError] | None]:
    """Create up to 100 tasks of one queue with BatchCreateTasks, first the
    queue if missing and ``make_queue`` is given: per task, what was sent
    or the error it met; None if the service lacks BatchCreateTasks."""
    key = requests[0].queue
    outcomes: list[Sent | QueuekeeperError | None] = [None] * len(requests)
    carried = [0] * len(requests)
    maybe_made: set[int] = set()  # in a call whose answer was lost
    pending = list(range(len(requests)))
    request_id = str(uuid.uuid4())
    by_item = False  # whether the last attempt failed for some tasks only

    def attempt(retry: int) -> Flow[None]:
        nonlocal pending, request_id, by_item
        by_item = False
        for i in pending:
            carried[i] += 1
        try:
            answers = yield from call(
                "create_tasks", [requests[i] for i in pending], request_id
            )
        except TransientError:
            maybe_made.update(pending)
            raise
        again = _settle(requests, pending, answers, maybe_made, outcomes, carried)
        if again:  # a new batch: the service would answer its id with the old
            pending, request_id, by_item = again, str(uuid.uuid4()), True
            raise TransientError("UNAVAILABLE", f"{len(again)} tasks of the batch")

    what = f"BatchCreateTasks on {key.name}"
    try:
        try:
            yield from retrying(policy, what, attempt)
        except QueueNotFound as missing:
            if make_queue is None:
                raise
            yield from make_queue(missing)
            yield from retrying(policy, what, attempt, retry_on=calls.AFTER_CREATE)
    except QueuekeeperError as exc:
        if _unimplemented(exc) and max(carried) == 1:
            return None
        if not by_item:  # else each task keeps the error it met
            for i in pending:
                outcomes[i] = exc
    return [_known(outcome) for outcome in outcomes]


def _known(outcome: Sent | QueuekeeperError | None) -> Sent | QueuekeeperError:
    if outcome is None:
        raise RuntimeError("a task of the batch has no outcome")  # a bug
    return outcome


def _settle(
    requests: Sequence[TaskRequest],
    pending: Sequence[int],
    answers: Sequence[CreatedTask | QueuekeeperError],
    maybe_made: set[int],
    outcomes: list[Sent | QueuekeeperError | None],
    carried: Sequence[int],
) -> list[int]:
    """Record each task's answer; the tasks to send again (a task whose
    earlier call may have made it counts ALREADY_EXISTS as made)."""
    again = []
    for i, answer in zip(pending, answers, strict=True):
        if isinstance(answer, QueuekeeperError):
            answer = calls.made_earlier(requests[i], answer, i in maybe_made) or answer
        if isinstance(answer, CreatedTask):
            outcomes[i] = (answer, carried[i])
            continue
        outcomes[i] = answer
        if isinstance(answer, TransientError):  # it may have been made
            again.append(i)
            maybe_made.add(i)
    return again


def _unimplemented(error: QueuekeeperError) -> bool:
    return isinstance(error, ApiError) and error.code == "UNIMPLEMENTED"


def _units(items: Sequence[Item], batch: bool) -> dict[str, list[Unit]]:
    """The calls to make per queue (in order of first appearance)."""
    by_queue: dict[str, list[Item]] = {}
    for item in items:
        by_queue.setdefault(item.request.queue.path, []).append(item)
    if not batch:
        return {q: [Unit(q, (i,), False) for i in its] for q, its in by_queue.items()}
    return {
        queue: [
            Unit(queue, tuple(its[start : start + MAX_BATCH]), True)
            for start in range(0, len(its), MAX_BATCH)
        ]
        for queue, its in by_queue.items()
    }
