"""SQLite persistence for tasks and task-name tombstones.

A task is its serialised `Task` protobuf (always the FULL view) plus the columns
that queries need. Nothing keeps tasks in Python memory: the dispatcher asks
for the due ones of a queue, a batch at a time, through the partial index
`tasks_due`, which holds only tasks not in flight. `leased` marks a task whose
attempt is in flight; a restart clears it, so an attempt cut off by a stop is
made again and no finished attempt is repeated.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from .database import Database
from .messages import TaskPb

_SCHEMA = """
CREATE TABLE IF NOT EXISTS tasks (
    name TEXT NOT NULL UNIQUE,
    queue TEXT NOT NULL,
    schedule_us INTEGER NOT NULL,
    created_us INTEGER NOT NULL,
    leased INTEGER NOT NULL DEFAULT 0,
    executions INTEGER NOT NULL DEFAULT 0,
    previous_response INTEGER NOT NULL DEFAULT 0,
    body BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS tasks_by_queue ON tasks (queue, name);
CREATE INDEX IF NOT EXISTS tasks_due ON tasks (queue, schedule_us) WHERE leased = 0;
CREATE TABLE IF NOT EXISTS task_tombstones (
    name TEXT PRIMARY KEY,
    expires_at REAL NOT NULL
) WITHOUT ROWID;
"""
_ROW = "name, queue, executions, previous_response, body"


@dataclass
class TaskRow:
    """A stored task with the dispatch facts the `Task` message has no field for."""

    name: str
    queue: str
    task: Any  # the Task protobuf
    # Responses other than 5xx: X-CloudTasks-TaskExecutionCount (facts: tasks).
    executions: int = 0
    # HTTP status of the last attempt, 0 when it got none.
    previous_response: int = 0


def micros(timestamp: Any) -> int:
    """A protobuf Timestamp as integer microseconds since the epoch."""
    return int(timestamp.seconds) * 1_000_000 + int(timestamp.nanos) // 1000


class TaskStore:
    """Tasks and tombstones; callers group calls with `Database.atomic`."""

    def __init__(self, db: Database) -> None:
        self._db = db
        db.create(_SCHEMA)

    def insert(self, row: TaskRow, created_us: int) -> None:
        self._db.execute(
            "INSERT INTO tasks (name, queue, schedule_us, created_us, body) "
            "VALUES (?, ?, ?, ?, ?)",
            (
                row.name,
                row.queue,
                micros(row.task.schedule_time),
                created_us,
                row.task.SerializeToString(),
            ),
        )

    def get(self, name: str) -> TaskRow | None:
        found = self._db.one(f"SELECT {_ROW} FROM tasks WHERE name = ?", (name,))
        return None if found is None else _row(found)

    def exists(self, name: str) -> bool:
        return self._db.one("SELECT 1 FROM tasks WHERE name = ?", (name,)) is not None

    def save(self, row: TaskRow, *, leased: bool) -> None:
        """Write back a task after an attempt starts or ends."""
        self.save_all([row], leased=leased)

    def save_all(self, rows: Iterable[TaskRow], *, leased: bool) -> None:
        self._db.executemany(
            "UPDATE tasks SET schedule_us = ?, leased = ?, executions = ?, "
            "previous_response = ?, body = ? WHERE name = ?",
            [
                (
                    micros(row.task.schedule_time),
                    int(leased),
                    row.executions,
                    row.previous_response,
                    row.task.SerializeToString(),
                    row.name,
                )
                for row in rows
            ],
        )

    def finish(self, name: str, tombstone_until: float | None) -> bool:
        """Delete a task, keeping its name until `tombstone_until` if given."""
        cursor = self._db.execute("DELETE FROM tasks WHERE name = ?", (name,))
        if cursor.rowcount and tombstone_until is not None:
            self._db.execute(
                "INSERT OR REPLACE INTO task_tombstones (name, expires_at) "
                "VALUES (?, ?)",
                (name, tombstone_until),
            )
        return cursor.rowcount > 0

    def is_tombstoned(self, name: str, now: float) -> bool:
        found = self._db.one(
            "SELECT 1 FROM task_tombstones WHERE name = ? AND expires_at > ?",
            (name, now),
        )
        return found is not None

    def page(self, queue: str, after: str, limit: int) -> list[tuple[str, bytes]]:
        """Up to `limit` (name, serialised task) pairs after `after`, by name."""
        return self._db.all(
            "SELECT name, body FROM tasks WHERE queue = ? AND name > ? "
            "ORDER BY name LIMIT ?",
            (queue, after, limit),
        )

    def purge(self, queue: str, before_us: int, tombstone_until: float | None) -> int:
        """Delete the queue's tasks created before `before_us`; how many."""
        if tombstone_until is not None:
            self._db.execute(
                "INSERT OR REPLACE INTO task_tombstones (name, expires_at) "
                "SELECT name, ? FROM tasks WHERE queue = ? AND created_us < ?",
                (tombstone_until, queue, before_us),
            )
        cursor = self._db.execute(
            "DELETE FROM tasks WHERE queue = ? AND created_us < ?", (queue, before_us)
        )
        return cursor.rowcount

    def drop_queue(self, queue: str) -> int:
        """Delete every task of a deleted queue; how many."""
        return self._db.execute("DELETE FROM tasks WHERE queue = ?", (queue,)).rowcount

    def due(self, queue: str, now_us: int, limit: int) -> list[TaskRow]:
        """Up to `limit` tasks of `queue` due by `now_us` and not in flight."""
        rows = self._db.all(
            f"SELECT {_ROW} FROM tasks WHERE queue = ? AND leased = 0 "
            "AND schedule_us <= ? ORDER BY schedule_us LIMIT ?",
            (queue, now_us, limit),
        )
        return [_row(found) for found in rows]

    def next_due(self, queue: str) -> int | None:
        """The earliest schedule time (µs) among the queue's waiting tasks."""
        found = self._db.one(
            "SELECT MIN(schedule_us) FROM tasks WHERE queue = ? AND leased = 0",
            (queue,),
        )
        return None if found is None or found[0] is None else int(found[0])

    def queues(self) -> list[str]:
        """The queues that hold tasks."""
        return [name for (name,) in self._db.all("SELECT DISTINCT queue FROM tasks")]

    def release_leases(self) -> int:
        """Make tasks whose attempt a stop cut off waiting again; how many."""
        return self._db.execute("UPDATE tasks SET leased = 0 WHERE leased = 1").rowcount

    def sweep(self, now: float, expired_before_us: int) -> None:
        """Forget expired tombstones and drop tasks past their retention."""
        self._db.execute("DELETE FROM task_tombstones WHERE expires_at <= ?", (now,))
        self._db.execute(
            "DELETE FROM tasks WHERE created_us < ? AND leased = 0",
            (expired_before_us,),
        )


def _row(found: Any) -> TaskRow:
    name, queue, executions, previous, body = found
    return TaskRow(name, queue, TaskPb.FromString(body), executions, previous)
