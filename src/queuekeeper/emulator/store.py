"""SQLite persistence for the emulator's queues.

Each queue is kept as its serialised `Queue` protobuf plus the columns that
queries need (parent, name, state), so ListQueues reads one index range and
copies bytes without decoding each queue field by field. Tasks live in their
own table (`taskstore.py`) on the same `Database`.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Any

from .database import Database
from .messages import QueuePb

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
    """Queues and queue-name tombstones."""

    def __init__(self, db: Database) -> None:
        self._db = db
        db.create(_SCHEMA)

    def atomic(self) -> AbstractContextManager[None]:
        """One transaction, which task-store calls may join (same connection)."""
        return self._db.atomic()

    def get(self, name: str) -> Any | None:
        """The stored queue called `name`, or None."""
        row = self._db.one("SELECT body FROM queues WHERE name = ?", (name,))
        return None if row is None else QueuePb.FromString(row[0])

    def exists(self, name: str) -> bool:
        return self._db.one("SELECT 1 FROM queues WHERE name = ?", (name,)) is not None

    def put(self, queue: Any, parent: str) -> None:
        """Insert or replace a queue."""
        self._db.execute(
            "INSERT OR REPLACE INTO queues (name, parent, state, body) "
            "VALUES (?, ?, ?, ?)",
            (queue.name, parent, queue.state, queue.SerializeToString()),
        )

    def delete(self, name: str) -> bool:
        """Remove a queue; False if there was none."""
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
        return self._db.all(f"{sql} ORDER BY name LIMIT ?", (*args, limit))

    def add_tombstone(self, name: str, expires_at: float) -> None:
        """Block re-creating `name` until `expires_at` (Unix seconds)."""
        self._db.execute(
            "INSERT OR REPLACE INTO queue_tombstones (name, expires_at) VALUES (?, ?)",
            (name, expires_at),
        )

    def is_tombstoned(self, name: str, now: float) -> bool:
        """Whether `name` was deleted too recently to be created again."""
        with self._db.lock:
            row = self._db.one(
                "SELECT expires_at FROM queue_tombstones WHERE name = ?", (name,)
            )
            if row is not None and row[0] <= now:
                self._db.execute("DELETE FROM queue_tombstones WHERE name = ?", (name,))
        return row is not None and row[0] > now
