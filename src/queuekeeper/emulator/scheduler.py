"""The scheduler: the dispatcher's state and decisions, on one thread.

Per queue it keeps a token bucket, the attempts in flight and a wake-up time:
when its next task is due, when its next token arrives, or never until
something changes (a task added, an attempt ended, the queue updated). Each
look leases at most one batch of due tasks per queue from SQLite, so tasks
stay in the database rather than in Python objects. It also times attempts
out at their dispatch deadline on the emulator clock, which is what lets a
test with a `ManualClock` time an attempt out without waiting.

Everything here runs on the dispatcher's scheduler thread (`dispatch.py`);
sending is handed to `send`, which runs the attempt on a worker thread. All
times inside are integer microseconds on the emulator clock; a float `now`
is rounded once per pass so that comparisons never disagree.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Callable

from . import attempts, outgoing
from .backoff import policy_for
from .clock import Clock
from .database import Database
from .dispatchlog import DispatchLog, Outcome
from .flights import NEVER, Flight, QueueRun
from .messages import STATE_RUNNING
from .ratelimit import TokenBucket
from .sender import DEADLINE_EXCEEDED, Reply
from .store import QueueStore
from .taskstore import TaskRow, TaskStore

_BATCH = 100  # tasks leased per queue per look
_TOKEN_WAIT_US = 5_000  # look again for tokens no sooner: batches at high rates
_SWEEP_EVERY_US = 60_000_000
RETENTION_US = 31 * 24 * 3600 * 1_000_000  # tasks live at most 31 days (facts: tasks)

Done = tuple[int, Reply, float]  # attempt key, what it got, when it ended
Pick = Callable[[str, int, int], list[TaskRow]]  # queue, now (µs), limit


class Scheduler:
    """Which task goes when; not thread-safe (the scheduler thread owns it)."""

    def __init__(
        self,
        db: Database,
        queues: QueueStore,
        tasks: TaskStore,
        *,
        clock: Clock,
        log: DispatchLog,
        task_tombstone: float,
        room: Callable[[], int],
        send: Callable[[Flight], None],
    ) -> None:
        self._db, self._queues, self._tasks = db, queues, tasks
        self._clock, self._log = clock, log
        self._tombstone_us = int(task_tombstone * 1_000_000)
        self._room, self._send = room, send
        # A clock that only moves when told cannot release rate-limited tasks
        # by itself, so they do not keep the emulator busy.
        self._manual = clock.real_seconds_until(clock.now() + 1.0) is None
        self._runs: dict[str, QueueRun] = {}
        self._wakes: list[tuple[int, str]] = []
        self._flights: dict[int, Flight] = {}
        self._deadlines: list[tuple[int, int]] = []
        self._flying: set[str] = set()
        self._due_runs: set[str] = set()
        self._waiting_for_room: set[str] = set()
        self._keys = itertools.count(1)
        self._next_sweep_us = 0

    @property
    def in_flight(self) -> int:
        return len(self._flights)

    def step(
        self, notices: dict[str, bool], forced: list[str], done: list[Done]
    ) -> int:
        """One pass: settle, take notice, force, fill due queues; the time used."""
        now = self._clock.now()
        now_us = _micros(now)
        self.settle(done, now_us)
        for queue, changed in notices.items():
            self._look_at(queue, changed, now)
        for name in forced:
            self._force(name, now)
        for run in self._runs_due(now_us):
            self._fill(run, now)
        if now_us >= self._next_sweep_us:
            self._tasks.sweep(now, now_us - RETENTION_US)
            self._next_sweep_us = now_us + _SWEEP_EVERY_US
        return now_us

    def sleep_seconds(self) -> float | None:
        """Real seconds until the next look is due; None: only a notice or a
        clock advance can bring it."""
        nearest = self._next_sweep_us
        if self._wakes:
            nearest = min(nearest, self._wakes[0][0])
        if self._deadlines:
            nearest = min(nearest, self._deadlines[0][0])
        if nearest <= _micros(self._clock.now()):
            return 0.0
        return self._clock.real_seconds_until(nearest / 1_000_000)

    def busy(self, now_us: int) -> bool:
        """Whether work is in flight or could start without the clock moving."""
        self._compact()
        return (
            bool(self._flights)
            or (bool(self._wakes) and self._wakes[0][0] <= now_us)
            or (not self._manual and bool(self._due_runs))
        )

    def settle(self, done: list[Done], now_us: int | None) -> None:
        """Record ended attempts, and (given `now_us`) those past their deadline."""
        ended = [
            (self._flights.pop(key), reply, end)
            for key, reply, end in done
            if key in self._flights
        ]
        if now_us is not None:
            ended.extend(self._expired(now_us))
        if not ended:
            return
        with self._db.atomic():
            for flight, reply, end in ended:
                self._end(flight, reply, end)
        if self._waiting_for_room:
            for name in self._waiting_for_room:
                if name in self._runs:
                    self._wake(self._runs[name], 0)
            self._waiting_for_room.clear()

    def _expired(self, now_us: int) -> list[tuple[Flight, Reply, float]]:
        # The worker's late answer, if any, is ignored: its key is gone.
        expired = []
        while self._deadlines and self._deadlines[0][0] <= now_us:
            deadline_us, key = heapq.heappop(self._deadlines)
            flight = self._flights.pop(key, None)
            if flight is not None:
                reply = Reply(None, error=DEADLINE_EXCEEDED)
                expired.append((flight, reply, deadline_us / 1_000_000))
        return expired

    def _end(self, flight: Flight, reply: Reply, end: float) -> None:
        run = flight.run
        run.in_flight -= 1
        self._flying.discard(flight.row.name)
        if self._runs.get(run.name) is run:
            self._wake(run, 0)
        row = self._tasks.get(flight.row.name)
        outcome = Outcome.GONE
        if row is not None:
            policy = policy_for(run.queue.retry_config, row.task)
            outcome = attempts.settle(row, reply, policy, end)
            if outcome is Outcome.RETRYING:
                self._tasks.save(row, leased=False)
            else:
                until = end + self._tombstone_us / 1e6 if self._tombstone_us else None
                self._tasks.finish(row.name, until)
        self._log.add(flight.record(reply, end, outcome))

    def _look_at(self, name: str, changed: bool, now: float) -> None:
        run = self._runs.get(name)
        if run is None or changed:
            queue = self._queues.get(name)
            if queue is None:  # deleted: its tasks went with it
                self._runs.pop(name, None)
                self._due_runs.discard(name)
                return
            if run is None:
                limits = queue.rate_limits
                bucket = TokenBucket(
                    limits.max_dispatches_per_second, limits.max_burst_size, now
                )
                run = self._runs[name] = QueueRun(name, queue, bucket)
            run.queue = queue
        self._wake(run, 0)

    def _runs_due(self, now_us: int) -> list[QueueRun]:
        # Collected first: filling a queue may schedule its next look for now,
        # which belongs to the next pass.
        due: dict[str, QueueRun] = {}
        while self._wakes and self._wakes[0][0] <= now_us:
            at, name = heapq.heappop(self._wakes)
            run = self._runs.get(name)
            if run is not None and run.wake_us == at:
                due[name] = run
        return list(due.values())

    def _fill(self, run: QueueRun, now: float) -> None:
        run.wake_us = NEVER
        if run.queue.state != STATE_RUNNING:  # paused or disabled: hold
            self._due_runs.discard(run.name)
            return
        limits = run.queue.rate_limits
        run.bucket.configure(
            limits.max_dispatches_per_second, limits.max_burst_size, now
        )
        budget = min(
            limits.max_concurrent_dispatches - run.in_flight,
            run.bucket.available(now),
            self._room(),
            _BATCH,
        )
        if budget > 0:
            for row in self._lease(self._tasks.due, run.name, now, budget):
                run.bucket.take(now)
                self._launch(run, row, now)
        self._plan(run, now)

    def _plan(self, run: QueueRun, now: float) -> None:
        """Decide when the queue needs its next look."""
        now_us = _micros(now)
        next_us = self._tasks.next_due(run.name)
        due = next_us is not None and next_us <= now_us
        if due:
            self._due_runs.add(run.name)
        else:
            self._due_runs.discard(run.name)
        if next_us is None:
            return
        if not due:
            self._wake(run, next_us)
        elif run.in_flight >= run.queue.rate_limits.max_concurrent_dispatches:
            pass  # an attempt ending wakes it
        elif self._room() == 0:
            self._waiting_for_room.add(run.name)
        elif run.bucket.available(now) < 1:
            token_us = _micros(run.bucket.next_token_at(now))
            self._wake(run, max(token_us, now_us + _TOKEN_WAIT_US))
        else:
            self._wake(run, now_us)  # only the batch size stopped it

    def _force(self, name: str, now: float) -> None:
        # TODO: RunTask on a task already in flight should start a second
        # attempt (facts: tasks); one attempt per task at a time is simpler.
        if name in self._flying:
            return
        row = self._tasks.get(name)
        if row is None:
            return
        if row.queue not in self._runs:
            self._look_at(row.queue, True, now)
        run = self._runs.get(row.queue)
        if run is None:
            return
        for leased in self._lease(lambda *_: [row], row.queue, now, 1):
            self._launch(run, leased, now)

    def _lease(self, pick: Pick, queue: str, now: float, limit: int) -> list[TaskRow]:
        """Mark the picked tasks in flight and count their attempt, atomically."""
        with self._db.atomic():
            rows = pick(queue, _micros(now), limit)
            for row in rows:
                attempts.start(row, now)
            self._tasks.save_all(rows, leased=True)
        return rows

    def _launch(self, run: QueueRun, row: TaskRow, now: float) -> None:
        request = outgoing.build(row, run.queue)
        key = next(self._keys)
        deadline_us = _micros(now) + int(request.timeout * 1_000_000)
        flight = Flight(key, run, row, request, now)
        self._flights[key] = flight
        self._flying.add(row.name)
        heapq.heappush(self._deadlines, (deadline_us, key))
        run.in_flight += 1
        self._send(flight)

    def _wake(self, run: QueueRun, at_us: int) -> None:
        if at_us >= run.wake_us:
            return  # an earlier look is already planned
        run.wake_us = at_us
        heapq.heappush(self._wakes, (at_us, run.name))

    def _compact(self) -> None:
        # Heaps keep entries for looks since replanned and attempts already
        # ended; rebuild them before they outgrow what is live.
        if len(self._deadlines) > 2 * len(self._flights) + 64:
            self._deadlines = [
                entry for entry in self._deadlines if entry[1] in self._flights
            ]
            heapq.heapify(self._deadlines)
        if len(self._wakes) > 2 * len(self._runs) + 64:
            self._wakes = [
                (at, name)
                for at, name in self._wakes
                if name in self._runs and self._runs[name].wake_us == at
            ]
            heapq.heapify(self._wakes)


def _micros(seconds: float) -> int:
    return round(seconds * 1_000_000)
