"""The one way the hub opens its SQLite databases and writes to them atomically.

Both embedded databases (the run state, ``state.db``, and the person-id registry,
``registry.db``) open through :func:`open_database` (write-ahead log, full sync, a 30-second
wait for another writer) and write inside :func:`transaction`: ``BEGIN IMMEDIATE`` takes the
write lock up front, and any error rolls the whole write back.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path

from schemas.errors import TransientError

BUSY_TIMEOUT_SECONDS = 30


class DatabaseBusy(TransientError):
    """Another process held a database's write lock for longer than the hub waits."""


def open_database(path: Path, schema: str) -> sqlite3.Connection:
    """Open (creating if needed, owner-only whatever the umask: SQLite gives its journal files
    the database file's mode) the database at ``path`` and apply ``schema`` (a script)."""
    if not path.exists():
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
    db = sqlite3.connect(path, timeout=BUSY_TIMEOUT_SECONDS, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=FULL")
    db.executescript(schema)
    return db


@contextmanager
def transaction(db: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """One atomic write: committed when the block ends, rolled back if it raises."""
    try:
        db.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError as error:
        if "locked" not in str(error) and "busy" not in str(error):
            raise
        raise DatabaseBusy(
            f"a database of the hub is busy: another process has held it for over "
            f"{BUSY_TIMEOUT_SECONDS} s",
            hint="wait for the other hub process to finish, then run the command again",
        ) from error
    try:
        yield db
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")


@contextmanager
def database_transaction(path: Path, schema: str) -> Iterator[sqlite3.Connection]:
    """Open the database at ``path`` (see :func:`open_database`) for one atomic write, then
    close it: for stores that hold no connection between calls."""
    with closing(open_database(path, schema)) as db, transaction(db):
        yield db
