"""SQLite persistence for the emulator's queues.

Each queue is kept as its serialised `Queue` protobuf plus the columns that
queries need (parent, name, state), so ListQueues reads one index range and
copies bytes without decoding each queue field by field. Tasks will get their own
table keyed by queue name; `PRAGMA user_version` marks the schema generation.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from .messages import QueuePb

_SCHEMA_VERSION = 1
_SCHEMA = """
CREATE TABLE IF NOT EXISTS queues (
    name TEXT PRIMARY KEY,
    parent TEXT NOT NULL,
    state INTEGER NOT NULL,
    body BLOB NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS queues_by_parent ON queues (parent, name);
CREATE INDEX IF NOT EXISTS queues_by_state ON queues (parent, state, name);
CREATE TABLE IF NOT EXISTS queue_tombstones (
    name TEXT PRIMARY KEY,
    expires_at REAL NOT NULL
) WITHOUT ROWID;
"""


class QueueStore:
    """Queues and queue-name tombstones behind one lock-guarded connection.

    gRPC runs handlers on a thread pool; a single connection serialised by a
    re-entrant lock is simpler than a pool and fast enough for an emulator.
    """

    def __init__(self, path: Path | None) -> None:
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
        target = ":memory:" if path is None else str(path)
        # isolation_level=None: autocommit, with explicit BEGIN in `atomic`.
        self._db = sqlite3.connect(
            target, check_same_thread=False, isolation_level=None
        )
        self._lock = threading.RLock()
        if path is not None:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)
        self._db.execute(f"PRAGMA user_version={_SCHEMA_VERSION}")

    @contextmanager
    def atomic(self) -> Iterator[None]:
        """Run a read-check-write sequence as one transaction, one thread at a time."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def get(self, name: str) -> Any | None:
        """The stored queue called `name`, or None."""
        with self._lock:
            row = self._db.execute(
                "SELECT body FROM queues WHERE name = ?", (name,)
            ).fetchone()
        return None if row is None else QueuePb.FromString(row[0])

    def put(self, queue: Any, parent: str) -> None:
        """Insert or replace a queue."""
        with self._lock:
            self._db.execute(
                "INSERT OR REPLACE INTO queues (name, parent, state, body) "
                "VALUES (?, ?, ?, ?)",
                (queue.name, parent, queue.state, queue.SerializeToString()),
            )

    def delete(self, name: str) -> bool:
        """Remove a queue; False if there was none."""
        with self._lock:
            cursor = self._db.execute("DELETE FROM queues WHERE name = ?", (name,))
        return cursor.rowcount > 0

    def page(
        self, parent: str, state: int | None, after: str, limit: int
    ) -> list[tuple[str, bytes]]:
        """Up to `limit` (name, serialised queue) pairs after `after`, by name."""
        sql = "SELECT name, body FROM queues WHERE parent = ? AND name > ?"
        args: tuple[object, ...] = (parent, after)
        if state is not None:
            sql += " AND state = ?"
            args += (state,)
        with self._lock:
            rows = self._db.execute(f"{sql} ORDER BY name LIMIT ?", (*args, limit))
            return rows.fetchall()

    def add_tombstone(self, name: str, expires_at: float) -> None:
        """Block re-creating `name` until `expires_at` (Unix seconds)."""
        with self._lock:
            self._db.execute(
                "INSERT OR REPLACE INTO queue_tombstones (name, expires_at) "
                "VALUES (?, ?)",
                (name, expires_at),
            )

    def is_tombstoned(self, name: str, now: float) -> bool:
        """Whether `name` was deleted too recently to be created again."""
        with self._lock:
            row = self._db.execute(
                "SELECT expires_at FROM queue_tombstones WHERE name = ?", (name,)
            ).fetchone()
            if row is not None and row[0] <= now:
                self._db.execute("DELETE FROM queue_tombstones WHERE name = ?", (name,))
        return row is not None and row[0] > now

    def close(self) -> None:
        with self._lock:
            self._db.close()
