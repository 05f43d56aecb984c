"""The one SQLite connection behind the queue and task stores.

Queues and tasks share a connection so that one transaction can span both:
CreateTask checks its queue and inserts the task atomically, PurgeQueue stamps
the queue and drops its tasks together. `PRAGMA user_version` marks the schema
generation: 1 had queues only, 2 adds tasks.
"""

from __future__ import annotations

import fcntl
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

_SCHEMA_VERSION = 2
# Marks a file as an emulator database (SQLite's application_id header field),
# so the emulator never adds its tables to some other application's database.
_APPLICATION_ID = 0x514B4550  # "QKEP"


class DatabaseInUse(RuntimeError):
    """Another emulator process has the database file open."""


class Database:
    """A lock-guarded SQLite connection, in memory or in a file.

    gRPC runs handlers on a thread pool and the dispatcher has its own thread;
    a single connection serialised by a re-entrant lock is simpler than a pool
    and fast enough for an emulator.
    """

    def __init__(self, path: Path | None) -> None:
        self._claim: IO[str] | None = None
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._claim = _claim(path)
        target = ":memory:" if path is None else str(path)
        # isolation_level=None: autocommit, with explicit BEGIN in `atomic`.
        self._db = sqlite3.connect(
            target, check_same_thread=False, isolation_level=None
        )
        self.lock = threading.RLock()
        self._depth = 0  # open transaction levels; guarded by `lock`
        if path is not None:
            try:
                _check_ours(self._db, path)
                self._db.execute("PRAGMA journal_mode=WAL")
                self._db.execute("PRAGMA synchronous=NORMAL")
            except BaseException:
                self.close()
                raise

    def create(self, schema: str) -> None:
        """Create tables and indexes that do not exist yet."""
        with self.lock:
            self._db.executescript(schema)
            self._db.execute(f"PRAGMA user_version={_SCHEMA_VERSION}")
            self._db.execute(f"PRAGMA application_id={_APPLICATION_ID}")

    @contextmanager
    def atomic(self) -> Iterator[None]:
        """Run a read-check-write sequence as one transaction, one thread at a time.

        Nested calls (a batch of creates, each atomic) become savepoints of
        the outer transaction: an inner failure undoes only its own part, and
        the batch commits once.
        """
        with self.lock:
            depth = self._depth
            self._db.execute(f"SAVEPOINT s{depth}" if depth else "BEGIN IMMEDIATE")
            self._depth += 1
            try:
                yield
            except BaseException:
                if depth:
                    self._db.execute(f"ROLLBACK TO s{depth}")
                    self._db.execute(f"RELEASE s{depth}")
                else:
                    self._db.execute("ROLLBACK")
                raise
            finally:
                self._depth -= 1
            self._db.execute(f"RELEASE s{depth}" if depth else "COMMIT")

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
        if self._claim is not None:
            self._claim.close()  # releases the lock
            self._claim = None


def _claim(path: Path) -> IO[str]:
    """Lock ``path`` for this process: one emulator per database file.

    Two emulators on one file would each cache queue state (a pause made
    through one would not stop the other dispatching), so the second refuses.
    """
    claim = open(f"{path}.lock", "a", encoding="utf-8")  # noqa: SIM115
    try:
        fcntl.flock(claim.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        claim.close()
        raise DatabaseInUse(
            f"the emulator database {path} is in use by another emulator process"
        ) from None
    return claim


def _check_ours(db: sqlite3.Connection, path: Path) -> None:
    marked = db.execute("PRAGMA application_id").fetchone()[0]
    names = {row[0] for row in db.execute("SELECT name FROM sqlite_master")}
    # Files made before the mark was set have our queues table and no mark.
    unmarked_ours = marked == 0 and (not names or "queues" in names)
    if marked != _APPLICATION_ID and not unmarked_ours:
        raise sqlite3.DatabaseError(
            f"{path} is a SQLite database of another application; "
            "the emulator keeps its state in a file of its own"
        )
