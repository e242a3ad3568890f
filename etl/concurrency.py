"""One load at a time per database: the lock the loader holds from its first read to its commit.

Why: a load reads the database (the ledger of file hashes, the reference codes, what a file would
replace), validates, then writes. Two loads started together both pass the reads before either
writes, so both "load" the same police.uk month and the crime table holds it twice. A database's own
write lock is taken only at the first write, too late to cover that read-validate-write gap, so
the whole load runs under this lock; the second load waits, then sees the first one's result.

- PostgreSQL: a session-level advisory lock (``pg_advisory_lock``) on a connection of its own. The
  server drops it when the connection ends, so a killed loader never leaves the lock behind.
- SQLite: an exclusive ``flock`` on a file beside the database (``<db>.load-lock``); the kernel drops
  it when the process dies. An in-memory database is private to its process: a thread lock suffices.

This module only serialises; it never reads or writes data.
"""

from __future__ import annotations

import fcntl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, text

# An arbitrary 64-bit key of this application's load lock ("VVU LOAD" in ASCII); other advisory
# lock users of the same database pick other keys.
ADVISORY_KEY = 0x56565520_4C4F4144
_MEMORY_LOCK = threading.Lock()


def lock_file_of(engine: Engine) -> Path | None:
    """The lock file beside a SQLite database file; None for an in-memory database."""
    database = engine.url.database
    if not database or database == ":memory:" or database.startswith("file::memory:"):
        return None
    return Path(database).with_name(Path(database).name + ".load-lock")


@contextmanager
def load_lock(engine: Engine) -> Iterator[None]:
    """Hold this database's load lock for the duration of the block (waiting for it if need be)."""
    if engine.dialect.name == "postgresql":
        with _advisory_lock(engine):
            yield
        return
    path = lock_file_of(engine)
    if path is None:
        with _MEMORY_LOCK:
            yield
        return
    with path.open("a") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)  # blocks until the other load ends (or its process dies)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


@contextmanager
def _advisory_lock(engine: Engine) -> Iterator[None]:
    # AUTOCOMMIT: the lock belongs to the session, so no transaction stays open while the load runs.
    conn = engine.connect().execution_options(isolation_level="AUTOCOMMIT")
    try:
        conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": ADVISORY_KEY})
        try:
            yield
        finally:
            conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": ADVISORY_KEY})
    except BaseException:
        # If the unlock itself failed, never hand a connection that may still hold the lock back to
        # the pool: closing the server session releases it.
        conn.invalidate()
        raise
    finally:
        conn.close()
