"""The dispatcher: sends due tasks to their targets, honouring each queue's limits.

One scheduler thread owns all dispatch state (`scheduler.py`) and does all of
dispatch's SQLite work; other threads only hand it notices (a queue changed, a
task was added or must run now), clock advances and finished attempts.

Attempts run on worker threads (`workers.py`), one per attempt in flight, each
bounded by its dispatch deadline, so a slow target holds up only its own
queue, whose `max_concurrent_dispatches` bounds how many threads it can hold.

On stop, leasing ends and attempts in flight get a grace period to finish and
be recorded. An attempt still running after it stays marked in the database;
the next start makes it due again, so it is the only kind of attempt a
restart can repeat.
"""

from __future__ import annotations

import logging
import threading
import time

from .clock import Clock
from .database import Database
from .dispatchlog import DispatchLog
from .flights import Flight
from .oidc import TokenMinter
from .outgoing import Auth
from .scheduler import Done, Scheduler
from .sender import HttpSender, Reply
from .store import QueueStore
from .taskstore import TaskStore
from .workers import WorkerPool

_log = logging.getLogger("queuekeeper.emulator.dispatch")

_MAX_SLEEP = 1.0  # real seconds between looks, whatever happens

Work = tuple[dict[str, bool], list[str], list[Done]]


class Dispatcher:
    """Dispatches tasks over HTTP; `start` it, and `stop` it before the store."""

    def __init__(
        self,
        db: Database,
        queues: QueueStore,
        tasks: TaskStore,
        *,
        clock: Clock,
        minter: TokenMinter,
        log: DispatchLog,
        task_tombstone: float,
    ) -> None:
        self._tasks, self._clock, self._minter = tasks, clock, minter
        self._pool = WorkerPool()
        self._sender = HttpSender()
        self._scheduler = Scheduler(
            db,
            queues,
            tasks,
            clock=clock,
            log=log,
            task_tombstone=task_tombstone,
            room=self._pool.room,
            send=self._send,
        )
        self._thread: threading.Thread | None = None
        self._unsubscribe = _nothing
        # Handed over by other threads, under _cond.
        self._cond = threading.Condition()
        self._notices: dict[str, bool] = {}
        self._forced: list[str] = []
        self._done: list[Done] = []
        self._ticked = True  # the first pass runs at once
        self._stopping = False
        self._grace_until = 0.0
        self._idle = False

    def start(self) -> None:
        """Make cut-off attempts due again and start the scheduler thread."""
        released = self._tasks.release_leases()
        if released:
            _log.info(
                "%d attempt(s) cut off by the last stop will be made again", released
            )
        for queue in self._tasks.queues():
            self._notices[queue] = True
        self._unsubscribe = self._clock.subscribe(self._tick)
        self._thread = threading.Thread(
            target=self._run, name="queuekeeper-scheduler", daemon=True
        )
        self._thread.start()

    def stop(self, grace: float) -> None:
        """Stop leasing; give attempts in flight `grace` seconds to finish."""
        with self._cond:
            self._stopping = True
            self._grace_until = time.monotonic() + grace
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join()
        self._unsubscribe()
        self._pool.close()
        self._sender.close()

    def notice(self, queue: str, *, changed: bool = False) -> None:
        """A task was added to `queue`, or (`changed`) the queue itself changed."""
        with self._cond:
            self._notices[queue] = self._notices.get(queue, False) or changed
            self._wake_scheduler()

    def run_now(self, task: str) -> None:
        """RunTask: dispatch `task` now, whatever its queue's state and limits."""
        with self._cond:
            self._forced.append(task)
            self._wake_scheduler()

    def wait_idle(self, timeout: float) -> bool:
        """Wait until no task is in flight or could be dispatched right now."""
        give_up = time.monotonic() + timeout
        with self._cond:
            while not self._idle:
                left = give_up - time.monotonic()
                if self._stopping or left <= 0:
                    return False
                self._cond.wait(left)
            return True

    def _tick(self) -> None:
        with self._cond:
            self._ticked = True
            self._wake_scheduler()

    def _wake_scheduler(self) -> None:
        self._idle = False
        self._cond.notify_all()

    # -- the scheduler thread -------------------------------------------------

    def _run(self) -> None:
        try:
            while (work := self._next_work()) is not None:
                now_us = self._scheduler.step(*work)
                self._publish_idle(self._scheduler.busy(now_us))
            self._drain()
        except Exception:
            # The emulator keeps serving RPCs; dispatch stops until a restart.
            _log.exception("the dispatcher stopped on an unexpected error")

    def _next_work(self) -> Work | None:
        with self._cond:
            while not self._stopping and not self._pending():
                delay = self._scheduler.sleep_seconds()
                if delay is not None and delay <= 0:
                    break
                self._cond.wait(_MAX_SLEEP if delay is None else min(delay, _MAX_SLEEP))
            if self._stopping:
                return None
            work = (self._notices, self._forced, self._done)
            self._notices, self._forced, self._done = {}, [], []
            self._ticked = False
            return work

    def _pending(self) -> bool:
        return bool(self._notices or self._forced or self._done or self._ticked)

    def _publish_idle(self, busy: bool) -> None:
        with self._cond:
            self._idle = not busy and not self._pending()
            if self._idle:
                self._cond.notify_all()

    def _drain(self) -> None:
        """On stop: record the attempts that finish within the grace period."""
        while self._scheduler.in_flight:
            with self._cond:
                left = self._grace_until - time.monotonic()
                if left <= 0:
                    break
                if not self._done:
                    self._cond.wait(left)
                done, self._done = self._done, []
            self._scheduler.settle(done, None)
        if self._scheduler.in_flight:
            _log.info("%d attempt(s) cut off by the stop", self._scheduler.in_flight)

    # -- worker threads --------------------------------------------------------

    def _send(self, flight: Flight) -> None:
        self._pool.submit(lambda: self._attempt(flight))

    def _attempt(self, flight: Flight) -> None:
        """On a worker thread: mint the token, send, report back."""
        try:
            headers = dict(flight.request.headers)
            auth = flight.request.auth
            if auth is not None:
                headers["Authorization"] = "Bearer " + self._token(auth)
            reply = self._sender.send(flight.request, headers)
        except Exception as error:  # a bug must not lose the attempt
            _log.exception("dispatching %s failed", flight.row.name)
            reply = Reply(None, error=f"emulator error: {error}")
        end = self._clock.now()
        with self._cond:
            self._done.append((flight.key, reply, end))
            self._wake_scheduler()

    def _token(self, auth: Auth) -> str:
        if auth.kind == "oidc":
            return self._minter.id_token(auth.audience_or_scope, auth.email)
        return self._minter.access_token(auth.email, auth.audience_or_scope)


def _nothing() -> None:
    pass
