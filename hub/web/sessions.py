"""Server-side sign-in sessions: a random token in the cookie, its hash and expiry in the database.

The cookie holds only a random token; the database (``accounts.db``) holds its SHA-256, the
account, the purpose chosen for the session, the CSRF token and two expiries: idle (renewed on
each request) and absolute. Signing out deletes the row, so a stolen cookie dies with it.
"""

from __future__ import annotations

import datetime
import hashlib
import secrets
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from schemas.sqlite_store import database_transaction

_SCHEMA = """
CREATE TABLE IF NOT EXISTS sessions (
    token_hash TEXT PRIMARY KEY,
    account TEXT NOT NULL,
    csrf_token TEXT NOT NULL,
    purpose TEXT,
    created_at TEXT NOT NULL,
    idle_until TEXT NOT NULL,
    ends_at TEXT NOT NULL
);
"""


@dataclass(frozen=True)
class Session:
    """One signed-in person's session."""

    account: str
    csrf_token: str
    purpose: str | None
    created_at: datetime.datetime
    ends_at: datetime.datetime


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


class SessionStore:
    """Sessions kept beside the accounts, with an idle and an absolute expiry."""

    def __init__(self, path: Path, *, idle: datetime.timedelta, lifetime: datetime.timedelta):
        self.path = path
        self.idle = idle
        self.lifetime = lifetime
        with self._transaction():
            pass  # creates the tables

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with database_transaction(self.path, _SCHEMA) as db:
            yield db

    def start(self, account: str) -> str:
        """A new session for ``account``; returns the token for the cookie."""
        token, now = secrets.token_urlsafe(32), _now()
        with self._transaction() as db:
            db.execute(
                "DELETE FROM sessions WHERE ends_at < ? OR idle_until < ?",
                (now.isoformat(), now.isoformat()),
            )
            db.execute(
                "INSERT INTO sessions VALUES (?, ?, ?, NULL, ?, ?, ?)",
                (
                    _hash(token),
                    account,
                    secrets.token_urlsafe(32),
                    now.isoformat(),
                    (now + self.idle).isoformat(),
                    (now + self.lifetime).isoformat(),
                ),
            )
        return token

    def resume(self, token: str) -> Session | None:
        """The live session of ``token`` (its idle expiry renewed), or None when it has ended."""
        now = _now()
        with self._transaction() as db:
            row = db.execute(
                "SELECT account, csrf_token, purpose, created_at, idle_until, ends_at "
                "FROM sessions WHERE token_hash = ?",
                (_hash(token),),
            ).fetchone()
            if row is None:
                return None
            account, csrf_token, purpose, created_at, idle_until, ends_at = row
            ends = datetime.datetime.fromisoformat(ends_at)
            if now >= ends or now >= datetime.datetime.fromisoformat(idle_until):
                db.execute("DELETE FROM sessions WHERE token_hash = ?", (_hash(token),))
                return None
            db.execute(
                "UPDATE sessions SET idle_until = ? WHERE token_hash = ?",
                ((now + self.idle).isoformat(), _hash(token)),
            )
        return Session(
            account, csrf_token, purpose, datetime.datetime.fromisoformat(created_at), ends
        )

    def choose_purpose(self, token: str, purpose: str) -> None:
        """Record why this person is looking at personal data in this session."""
        with self._transaction() as db:
            db.execute(
                "UPDATE sessions SET purpose = ? WHERE token_hash = ?", (purpose, _hash(token))
            )

    def end(self, token: str) -> None:
        """Sign out: the token is worthless from now on."""
        with self._transaction() as db:
            db.execute("DELETE FROM sessions WHERE token_hash = ?", (_hash(token),))

    def end_all(self, account: str) -> None:
        """End every session of an account (disabled, or its password reset)."""
        with self._transaction() as db:
            db.execute("DELETE FROM sessions WHERE account = ?", (account,))
