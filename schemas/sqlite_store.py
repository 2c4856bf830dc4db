"""The one way the hub opens its SQLite databases and writes to them atomically.

Both embedded databases (the run state, ``state.db``, and the person-id registry,
``registry.db``) open through :func:`open_database` (write-ahead log, full sync, a 30-second
wait for another writer) and write inside :func:`transaction`: ``BEGIN IMMEDIATE`` takes the
write lock up front, and any error rolls the whole write back.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

BUSY_TIMEOUT_SECONDS = 30


def open_database(path: Path, schema: str) -> sqlite3.Connection:
    """Open (creating if needed) the database at ``path`` and apply ``schema`` (a script)."""
    db = sqlite3.connect(path, timeout=BUSY_TIMEOUT_SECONDS, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=FULL")
    db.executescript(schema)
    return db


@contextmanager
def transaction(db: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """One atomic write: committed when the block ends, rolled back if it raises."""
    db.execute("BEGIN IMMEDIATE")
    try:
        yield db
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")
