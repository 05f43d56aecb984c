"""Worker threads for attempts: one thread per attempt in flight, reused.

An attempt blocks its thread for as long as the target takes to answer (up to
its dispatch deadline), so the pool grows with the attempts in flight instead
of queueing them behind a fixed number of threads: a slow target holds only
the threads of its own attempts, and its queue's `max_concurrent_dispatches`
bounds those. Idle threads wait a while for more work, then exit.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable

Job = Callable[[], None]

# TODO: a global cap is a backstop, not fairness: queues whose targets all
# hang could together hold every thread, and then other queues wait for
# their deadlines. Reaching it takes over a thousand attempts hung at once.
MAX_WORKERS = 1024
_IDLE_SECONDS = 30.0


class WorkerPool:
    """Runs jobs on daemon threads, starting a thread when none is idle."""

    def __init__(self, max_workers: int = MAX_WORKERS) -> None:
        self._max = max_workers
        self._jobs: queue.SimpleQueue[Job | None] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._threads = 0
        self._idle = 0
        self._busy = 0
        self._closed = False

    def room(self) -> int:
        """How many more jobs may run at once."""
        with self._lock:
            return max(0, self._max - self._busy)

    def submit(self, job: Job) -> None:
        """Run `job` now on an idle or new thread; the caller checked `room`."""
        with self._lock:
            if self._closed:
                return
            self._busy += 1
            if self._idle > 0:
                self._idle -= 1
            else:
                self._threads += 1
                threading.Thread(
                    target=self._work, name="queuekeeper-dispatch", daemon=True
                ).start()
            self._jobs.put(job)

    def close(self) -> None:
        """Let idle threads exit; busy ones finish their job, then exit."""
        with self._lock:
            self._closed = True
            threads = self._threads
        for _ in range(threads):
            self._jobs.put(None)

    def _work(self) -> None:
        while True:
            try:
                job = self._jobs.get(timeout=_IDLE_SECONDS)
            except queue.Empty:
                if self._retire_idle():
                    return
                continue
            if job is None:
                return
            try:
                job()
            finally:
                with self._lock:
                    self._busy -= 1
                    self._idle += 1

    def _retire_idle(self) -> bool:
        with self._lock:
            # Only a thread nobody is counting on may leave: a submit that
            # claimed an idle thread has a job on its way.
            if self._idle > 0 and self._jobs.empty():
                self._idle -= 1
                self._threads -= 1
                return True
            return False
