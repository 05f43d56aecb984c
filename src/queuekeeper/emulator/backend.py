"""What a running emulator is made of, behind whatever surfaces serve it.

One `Backend` per start: the SQLite database, the queue and task stores, the
services, the dispatcher (unless dispatch is off) and the RPC table that every
surface (gRPC, REST) invokes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from .clock import Clock
from .database import Database
from .dispatch import Dispatcher
from .dispatchlog import DispatchLog
from .faults import Faults
from .handlers import queue_rpcs, task_rpcs
from .oidc import TokenMinter
from .rpc import CallCounter, RpcTable
from .service import QueueService
from .store import QueueStore
from .taskservice import DispatchHooks, NoDispatch, TaskService
from .taskstore import TaskStore


@dataclass(frozen=True)
class Settings:
    """What an `Emulator` was configured with, for each start."""

    db_path: Path | None
    queue_tombstone: timedelta
    task_tombstone: timedelta
    clock: Clock
    dispatch: bool
    minter: TokenMinter
    log: DispatchLog


class Backend:
    """The stores, services, dispatcher and RPC table of one emulator run."""

    def __init__(self, settings: Settings, counter: CallCounter, faults: Faults):
        self.db = Database(settings.db_path)
        try:
            queues = QueueStore(self.db)
            tasks = TaskStore(self.db)
        except BaseException:
            self.db.close()
            raise
        self.dispatcher = _dispatcher(self.db, queues, tasks, settings)
        hooks: DispatchHooks = self.dispatcher or NoDispatch()

        def queue_changed(name: str) -> None:
            hooks.notice(name, changed=True)

        self.queue_service = QueueService(
            queues,
            tasks,
            settings.queue_tombstone,
            task_tombstone=settings.task_tombstone,
            clock=settings.clock.now,
            on_change=queue_changed,
        )
        self.task_service = TaskService(
            queues, tasks, settings.clock, settings.task_tombstone, hooks
        )
        rpcs = {**queue_rpcs(self.queue_service), **task_rpcs(self.task_service)}
        self.table = RpcTable(rpcs, counter, faults)

    def start(self) -> None:
        if self.dispatcher is not None:
            self.dispatcher.start()

    def wait_idle(self, timeout: float) -> bool:
        if self.dispatcher is None:
            return True
        return self.dispatcher.wait_idle(timeout)

    def close(self, grace: float) -> None:
        """Stop dispatch (attempts get `grace` seconds to finish), close the DB."""
        if self.dispatcher is not None:
            self.dispatcher.stop(grace)
        self.db.close()


def _dispatcher(
    db: Database, queues: QueueStore, tasks: TaskStore, settings: Settings
) -> Dispatcher | None:
    if not settings.dispatch:
        return None
    return Dispatcher(
        db,
        queues,
        tasks,
        clock=settings.clock,
        minter=settings.minter,
        log=settings.log,
        task_tombstone=settings.task_tombstone.total_seconds(),
    )
