"""Executing a :class:`~queuekeeper.plan.Plan`: order, parallelism, results.

Changes to one queue run in plan order (create, then pause); different queues
run in parallel on a bounded pool. A failed change skips the rest of its
queue's changes and nothing else. Transient API errors are retried by the
adapter; what still fails is reported, and a re-run converges.
"""

from __future__ import annotations

import enum
import logging
import threading
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Protocol

from queuekeeper import errors
from queuekeeper.fields import Value
from queuekeeper.manifest import QueueKey
from queuekeeper.plan import Action, Change, LiveQueue, Plan

log = logging.getLogger(__name__)

DEFAULT_PARALLELISM = 8

# Scalars the API cannot tell from "unset" when zero: a create alone would get
# the default, so a zero declared here is sent again under an update mask.
ZERO_IS_A_VALUE = ("retry_config.max_doublings",)


class QueueAdmin(Protocol):
    """What apply needs of the API (``cloudtasks.CloudTasks`` provides it)."""

    def list_queues(self, project: str, location: str) -> list[LiveQueue]: ...

    def create_queue(self, key: QueueKey, settings: Mapping[str, Value]) -> None: ...

    def update_queue(self, key: QueueKey, settings: Mapping[str, Value]) -> None: ...

    def pause_queue(self, key: QueueKey) -> None: ...

    def resume_queue(self, key: QueueKey) -> None: ...


class Outcome(enum.Enum):
    DONE = "done"
    FAILED = "failed"
    SKIPPED = "skipped"


@dataclass(frozen=True)
class Result:
    change: Change
    outcome: Outcome
    error: str | None = None


def read_live(api: QueueAdmin, scopes: Iterable[tuple[str, str]]) -> list[LiveQueue]:
    """Every live queue in the given (project, location) scopes."""
    live: list[LiveQueue] = []
    for project, location in scopes:
        live.extend(api.list_queues(project, location))
    return live


def check_fresh(api: QueueAdmin, plan: Plan) -> None:
    """Refuse a saved plan whose queues changed since it was made."""
    scopes = sorted({(key.project, key.location) for key in plan.fingerprints})
    now = {queue.key: queue.fingerprint for queue in read_live(api, scopes)}
    stale = []
    for key, then in sorted(plan.fingerprints.items()):
        current = now.get(key)
        if current != then:
            if then is None:
                what = "exists now, but did not when the plan was made"
                what += " (was this plan applied already?)"
            elif current is None:
                what = "was deleted since the plan was made"
            else:
                what = "changed since the plan was made"
            stale.append(f"{key} {what}")
    if stale:
        raise errors.StalePlanError(
            "; ".join(stale), hint="run plan again and review the new plan"
        )


def apply_plan(
    api: QueueAdmin, plan: Plan, *, parallelism: int = DEFAULT_PARALLELISM
) -> list[Result]:
    """Run every change; one result per change, in plan order."""
    by_queue: dict[QueueKey, list[Change]] = {}
    for change in plan.changes:
        by_queue.setdefault(change.key, []).append(change)
    # Set once a change fails for an outage that outlasted its retries: the
    # changes not started yet are then skipped rather than each waiting out
    # the same retry deadline against a service that is down.
    outage = threading.Event()
    with ThreadPoolExecutor(max_workers=max(1, parallelism)) as pool:
        done = pool.map(lambda c: _run_chain(api, c, outage), by_queue.values())
        outcome = {id(r.change): r for results in done for r in results}
    return [outcome[id(change)] for change in plan.changes]


def _run_chain(
    api: QueueAdmin, chain: Sequence[Change], outage: threading.Event
) -> list[Result]:
    results: list[Result] = []
    for change in chain:
        if results and results[-1].outcome is not Outcome.DONE:
            results.append(Result(change, Outcome.SKIPPED, "an earlier change failed"))
            continue
        if outage.is_set():
            results.append(
                Result(change, Outcome.SKIPPED, "not tried: Cloud Tasks is unavailable")
            )
            continue
        results.append(_attempt(api, change, outage))
    return results


def _attempt(api: QueueAdmin, change: Change, outage: threading.Event) -> Result:
    try:
        _execute(api, change)
    except errors.QueuekeeperError as exc:
        if isinstance(exc, errors.TransientError):
            outage.set()
        log.warning("%s %s failed: %s", change.action.value, change.key, exc)
        return Result(change, Outcome.FAILED, str(exc))
    return Result(change, Outcome.DONE)


def _execute(api: QueueAdmin, change: Change) -> None:
    key = change.key
    if change.action is Action.CREATE:
        _create(api, key, change.settings)
    elif change.action is Action.UPDATE:
        api.update_queue(
            key, {diff.path: diff.new for diff in change.diffs if diff.new is not None}
        )
    elif change.action is Action.PAUSE:
        api.pause_queue(key)
    else:
        api.resume_queue(key)


def _create(api: QueueAdmin, key: QueueKey, settings: Mapping[str, Value]) -> None:
    try:
        api.create_queue(key, settings)
    except errors.AlreadyExistsError:
        # Someone else (or our own retried call) created it first: converge it
        # to the declaration instead of failing.
        log.info("queue %s already exists; updating it instead", key)
        api.update_queue(key, settings)
        return
    zeros = {p: settings[p] for p in ZERO_IS_A_VALUE if settings.get(p) == 0}
    if zeros:
        api.update_queue(key, zeros)
