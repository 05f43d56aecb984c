"""The one SQLite connection behind the queue and task stores.

Queues and tasks share a connection so that one transaction can span both:
CreateTask checks its queue and inserts the task atomically, PurgeQueue stamps
the queue and drops its tasks together. `PRAGMA user_version` marks the schema
generation: 1 had queues only, 2 adds tasks.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

_SCHEMA_VERSION = 2


class Database:
    """A lock-guarded SQLite connection, in memory or in a file.

    gRPC runs handlers on a thread pool and the dispatcher has its own thread;
    a single connection serialised by a re-entrant lock is simpler than a pool
    and fast enough for an emulator.
    """

    def __init__(self, path: Path | None) -> None:
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
        target = ":memory:" if path is None else str(path)
        # isolation_level=None: autocommit, with explicit BEGIN in `atomic`.
        self._db = sqlite3.connect(
            target, check_same_thread=False, isolation_level=None
        )
        self.lock = threading.RLock()
        if path is not None:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")

    def create(self, schema: str) -> None:
        """Create tables and indexes that do not exist yet."""
        with self.lock:
            self._db.executescript(schema)
            self._db.execute(f"PRAGMA user_version={_SCHEMA_VERSION}")

    @contextmanager
    def atomic(self) -> Iterator[None]:
        """Run a read-check-write sequence as one transaction, one thread at a time."""
        with self.lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def execute(self, sql: str, args: Iterable[Any] = ()) -> sqlite3.Cursor:
        with self.lock:
            return self._db.execute(sql, tuple(args))

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        with self.lock:
            self._db.executemany(sql, rows)

    def one(self, sql: str, args: Iterable[Any] = ()) -> Any:
        """The first row of a query, or None."""
        with self.lock:
            return self._db.execute(sql, tuple(args)).fetchone()

    def all(self, sql: str, args: Iterable[Any] = ()) -> list[Any]:
        with self.lock:
            return self._db.execute(sql, tuple(args)).fetchall()

    def close(self) -> None:
        with self.lock:
            self._db.close()
