"""The workspace's run state in an embedded SQLite database (``state.db``).

It records files seen and landed (the exactly-once ledger the connectors use), extracts and
their ingest outcome, which extract of each feed is current, runs, and per-feed status. Every
write is its own transaction, so a crash never leaves a half-recorded step.

Each landed file is a delivery (a row of ``files``); deliveries of the same bytes share one
extract, ingested once. A delivery stays unhandled until the ingest stage has looked at it, so
a re-sent earlier extract is noticed even when the pull and the ingest run apart.

One module on purpose, a little over 400 lines: every read and write of ``state.db`` in one
place, so its schema and transactions are seen together.
"""

from __future__ import annotations

import datetime
import json
import sqlite3
import uuid
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from connectors.base import RemoteFile
from connectors.pull import LandedFile
from hub.interrupts import is_interruption
from schemas.sqlite_store import open_database, transaction

_SCHEMA = """
CREATE TABLE IF NOT EXISTS observations (
    feed TEXT NOT NULL, name TEXT NOT NULL, size INTEGER NOT NULL, mtime INTEGER NOT NULL,
    first_seen REAL NOT NULL, PRIMARY KEY (feed, name, size, mtime));
CREATE TABLE IF NOT EXISTS files (
    feed TEXT NOT NULL, name TEXT NOT NULL, size INTEGER NOT NULL, mtime INTEGER NOT NULL,
    sha256 TEXT NOT NULL, path TEXT NOT NULL, status TEXT NOT NULL, reason TEXT,
    recorded_at TEXT NOT NULL, handled INTEGER NOT NULL DEFAULT 1,
    PRIMARY KEY (feed, name, size, mtime, sha256));
CREATE TABLE IF NOT EXISTS extracts (
    extract_id TEXT PRIMARY KEY, feed TEXT NOT NULL, sha256 TEXT NOT NULL, name TEXT NOT NULL,
    landed_path TEXT NOT NULL, landed_at TEXT NOT NULL, status TEXT NOT NULL,
    rows_read INTEGER, rows_accepted INTEGER, rows_rejected INTEGER, detail TEXT,
    ingested_at TEXT, current_seq INTEGER, UNIQUE (feed, sha256));
CREATE TABLE IF NOT EXISTS runs (
    run_id TEXT PRIMARY KEY, command TEXT NOT NULL, started_at TEXT NOT NULL,
    finished_at TEXT, status TEXT NOT NULL, summary TEXT);
CREATE TABLE IF NOT EXISTS facts (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS feed_status (
    feed TEXT PRIMARY KEY, last_success TEXT, last_error TEXT, last_error_at TEXT,
    last_attempt TEXT);
"""
_ADDED_COLUMNS = {
    "files": ("handled", "INTEGER NOT NULL DEFAULT 1"),
    "extracts": ("current_seq", "INTEGER"),
}
"""Columns added since the first release, added to an older ``state.db`` when it is opened."""


def utc_now() -> str:
    """The current UTC time as ISO 8601 with seconds."""
    return datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")


@dataclass(frozen=True)
class Extract:
    """A landed file and where it stands in ingest."""

    extract_id: str
    feed: str
    sha256: str
    name: str
    landed_path: Path
    landed_at: str
    status: str
    """'pending', 'ingested' (accepted: current, or superseded), 'held' (staged but beyond the
    feed's limits, not made current until accepted), 'rejected' or 'erased' (files removed
    under retention)."""
    rows_accepted: int | None
    rows_rejected: int | None
    detail: dict[str, Any]
    current_seq: int | None = None
    """When it was last made current, as a sequence number (None: never, or before one was
    kept)."""

    @property
    def rows_read(self) -> int:
        """Rows read from the file (accepted and quarantined)."""
        return (self.rows_accepted or 0) + (self.rows_rejected or 0)


@dataclass(frozen=True)
class Delivery:
    """One landed file: the first delivery of an extract, or a re-send of its bytes."""

    seq: int
    feed: str
    name: str
    sha256: str
    path: Path
    status: str
    """'landed', or 'rejected' (on its checksum, before landing)."""
    reason: str | None
    recorded_at: str

    @property
    def extract_id(self) -> str:
        """The extract holding these bytes."""
        return extract_id_for(self.feed, self.sha256)


class StateStore:
    """Access to ``state.db``. Implements the connectors' ledger protocol."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._db = open_database(path, _SCHEMA)
        self._add_missing_columns()

    def _add_missing_columns(self) -> None:
        """Bring a state database from an earlier version up to date (a write only if needed,
        so opening never waits for another process's write)."""
        missing = [(table, column, kind) for table, (column, kind) in _ADDED_COLUMNS.items()
                   if column not in {row[1] for row in
                                     self._db.execute(f"PRAGMA table_info({table})")}]  # fmt: skip
        if missing:
            with self.transaction() as db:
                for table, column, kind in missing:
                    db.execute(f"ALTER TABLE {table} ADD COLUMN {column} {kind}")

    def close(self) -> None:
        """Close the database."""
        self._db.close()

    def transaction(self) -> AbstractContextManager[sqlite3.Connection]:
        """One atomic write."""
        return transaction(self._db)

    # --- the connectors' ledger -----------------------------------------------------------

    def first_seen(self, feed: str, name: str, size: int, mtime: int, now: float) -> float:
        with self.transaction() as db:
            db.execute(
                "INSERT OR IGNORE INTO observations VALUES (?, ?, ?, ?, ?)",
                (feed, name, size, mtime, now),
            )
            row = db.execute(
                "SELECT first_seen FROM observations WHERE feed=? AND name=? AND size=? "
                "AND mtime=?",
                (feed, name, size, mtime),
            ).fetchone()
        return float(row[0])

    def is_landed(self, feed: str, name: str, size: int, mtime: int) -> bool:
        row = self._db.execute(
            "SELECT 1 FROM files WHERE feed=? AND name=? AND size=? AND mtime=?",
            (feed, name, size, mtime),
        ).fetchone()
        return row is not None

    def was_rejected(self, feed: str, name: str, size: int, mtime: int) -> bool:
        row = self._db.execute(
            "SELECT 1 FROM files WHERE feed=? AND name=? AND size=? AND mtime=? "
            "AND status='rejected'",
            (feed, name, size, mtime),
        ).fetchone()
        return row is not None

    def record_landed(self, landed: LandedFile) -> None:
        now = utc_now()
        with self.transaction() as db:
            db.execute(
                f"INSERT OR IGNORE INTO files ({_FILE_COLUMNS}) "
                "VALUES (?, ?, ?, ?, ?, ?, 'landed', NULL, ?, 0)",
                (landed.feed, landed.name, landed.size, landed.mtime, landed.sha256,
                 str(landed.path), now),
            )  # fmt: skip
            db.execute(
                "INSERT OR IGNORE INTO extracts (extract_id, feed, sha256, name, landed_path, "
                "landed_at, status) VALUES (?, ?, ?, ?, ?, ?, 'pending')",
                (extract_id_for(landed.feed, landed.sha256), landed.feed, landed.sha256,
                 landed.name, str(landed.path), now),
            )  # fmt: skip

    def record_rejected(
        self, feed: str, remote: RemoteFile, sha256: str, path: Path, reason: str
    ) -> None:
        with self.transaction() as db:
            db.execute(
                f"INSERT OR IGNORE INTO files ({_FILE_COLUMNS}) "
                "VALUES (?, ?, ?, ?, ?, ?, 'rejected', ?, ?, 1)",
                (feed, remote.name, remote.size, remote.mtime, sha256, str(path), reason,
                 utc_now()),
            )  # fmt: skip

    # --- extracts ---------------------------------------------------------------------------

    def extracts(self, feed: str | None = None, status: str | None = None) -> list[Extract]:
        """Extracts in landing order, optionally of one feed and status."""
        query = "SELECT * FROM extracts WHERE 1=1"
        params: list[Any] = []
        if feed:
            query += " AND feed=?"
            params.append(feed)
        if status:
            query += " AND status=?"
            params.append(status)
        rows = self._db.execute(query + " ORDER BY landed_at, name, extract_id", params)
        return [_extract(row) for row in rows.fetchall()]

    def extract(self, extract_id: str) -> Extract | None:
        """One extract by id."""
        row = self._db.execute(
            "SELECT * FROM extracts WHERE extract_id=?", (extract_id,)
        ).fetchone()
        return None if row is None else _extract(row)

    def finish_extract(
        self, extract_id: str, status: str, *, rows: tuple[int, int, int] | None,
        detail: dict[str, Any],
    ) -> None:  # fmt: skip
        """Record the outcome of ingesting one extract; an 'ingested' one is made current."""
        read, accepted, rejected = rows or (None, None, None)
        with self.transaction() as db:
            db.execute(
                "UPDATE extracts SET status=?, rows_read=?, rows_accepted=?, rows_rejected=?, "
                "detail=?, ingested_at=? WHERE extract_id=?",
                (status, read, accepted, rejected, json.dumps(detail), utc_now(), extract_id),
            )
            if status == "ingested":
                _make_current(db, extract_id)

    def hold_extract(self, extract_id: str, reason: str) -> None:
        """Keep a staged extract from being current: it is beyond its feed's limits."""
        self._set_status(extract_id, "held", {"held": reason}, current=False)

    def make_current(self, extract_id: str, detail: dict[str, Any] | None = None) -> None:
        """Make a staged extract its feed's current one (accepted, or an earlier one re-sent);
        ``detail`` is merged into what is recorded about it."""
        self._set_status(extract_id, "ingested", detail or {}, current=True)

    def reopen_extract(self, extract_id: str, name: str, landed_path: Path) -> None:
        """Make a rejected or erased extract pending again, from a new delivery of its bytes."""
        with self.transaction() as db:
            db.execute(
                "UPDATE extracts SET status='pending', name=?, landed_path=? WHERE extract_id=?",
                (name, str(landed_path), extract_id),
            )

    def _set_status(
        self, extract_id: str, status: str, detail: dict[str, Any], *, current: bool
    ) -> None:
        with self.transaction() as db:
            (recorded,) = db.execute(
                "SELECT detail FROM extracts WHERE extract_id=?", (extract_id,)
            ).fetchone()
            merged = (json.loads(recorded) if recorded else {}) | detail
            db.execute(
                "UPDATE extracts SET status=?, detail=? WHERE extract_id=?",
                (status, json.dumps(merged), extract_id),
            )
            if current:
                _make_current(db, extract_id)

    def mark_extract_erased(self, extract_id: str) -> None:
        """Record that an extract's files were erased under retention (its ledger rows stay)."""
        with self.transaction() as db:
            db.execute("UPDATE extracts SET status='erased' WHERE extract_id=?", (extract_id,))

    def current_extracts(self) -> dict[str, Extract]:
        """Per feed, the accepted extract made current last: the feed's current truth.

        Extracts ingested before the hub kept this order count in landing order, before any
        made current since.
        """
        current: dict[str, Extract] = {}
        ingested = self.extracts(status="ingested")
        for extract in sorted(ingested, key=lambda e: -1 if e.current_seq is None else
                              e.current_seq):  # fmt: skip
            current[extract.feed] = extract
        return current

    # --- deliveries -------------------------------------------------------------------------

    def unhandled_deliveries(self) -> list[Delivery]:
        """Landed files the ingest stage has not looked at yet, in landing order."""
        return self._deliveries("WHERE handled=0 AND status='landed' ORDER BY rowid")

    def mark_delivery_handled(self, delivery: Delivery) -> None:
        """Record that the ingest stage has dealt with a delivery."""
        with self.transaction() as db:
            db.execute("UPDATE files SET handled=1 WHERE rowid=?", (delivery.seq,))

    def deliveries(self, feed: str, name: str) -> list[Delivery]:
        """A feed's deliveries under one name (landed or rejected on checksum), oldest first."""
        return self._deliveries("WHERE feed=? AND name=? ORDER BY rowid", (feed, name))

    def last_new_extracts(self) -> dict[str, str]:
        """Per feed, when it last delivered bytes never seen before (a new extract landed)."""
        rows = self._db.execute("SELECT feed, max(landed_at) FROM extracts GROUP BY feed")
        return {str(feed): str(landed_at) for feed, landed_at in rows.fetchall()}

    def latest_deliveries(self) -> dict[str, Delivery]:
        """Per feed, the file that arrived last."""
        return {d.feed: d for d in self._deliveries("ORDER BY rowid")}

    def _deliveries(self, where: str, params: tuple[Any, ...] = ()) -> list[Delivery]:
        rows = self._db.execute(
            "SELECT rowid, feed, name, sha256, path, status, reason, recorded_at FROM files "
            + where,
            params,
        ).fetchall()
        return [Delivery(seq, feed, name, sha256, Path(path), status, reason, recorded_at)
                for seq, feed, name, sha256, path, status, reason, recorded_at in rows]  # fmt: skip

    # --- runs and feed status ---------------------------------------------------------------

    def start_run(self, command: str) -> str:
        """Record the start of a run; return its id.

        The caller holds the workspace lock, so no other run is going on: a run still marked
        'running' was killed, and is marked 'interrupted' (finished when this one started).
        """
        run_id = datetime.datetime.now(datetime.UTC).strftime("%Y%m%dT%H%M%SZ-") + uuid.uuid4(
        ).hex[:6]  # fmt: skip
        now = utc_now()
        with self.transaction() as db:
            db.execute(
                "UPDATE runs SET status='interrupted', finished_at=? WHERE status='running'",
                (now,),
            )
            db.execute(
                "INSERT INTO runs VALUES (?, ?, ?, NULL, 'running', NULL)",
                (run_id, command, now),
            )
        return run_id

    def finish_run(self, run_id: str, status: str, summary: dict[str, Any]) -> None:
        """Record how a run ended."""
        with self.transaction() as db:
            db.execute(
                "UPDATE runs SET finished_at=?, status=?, summary=? WHERE run_id=?",
                (utc_now(), status, json.dumps(summary, default=str), run_id),
            )

    def runs(self, limit: int = 20) -> list[dict[str, Any]]:
        """The latest runs, newest first."""
        rows = self._db.execute(
            "SELECT run_id, command, started_at, finished_at, status, summary FROM runs "
            "ORDER BY started_at DESC LIMIT ?",
            (limit,),
        ).fetchall()
        keys = ("run_id", "command", "started_at", "finished_at", "status", "summary")
        return [dict(zip(keys, row, strict=True)) for row in rows]

    def feed_succeeded(self, feed: str) -> None:
        """Record a successful pull of a feed."""
        now = utc_now()
        with self.transaction() as db:
            db.execute(
                "INSERT INTO feed_status (feed, last_success, last_attempt) VALUES (?, ?, ?) "
                "ON CONFLICT (feed) DO UPDATE SET last_success=excluded.last_success, "
                "last_attempt=excluded.last_attempt",
                (feed, now, now),
            )
            db.execute("INSERT OR IGNORE INTO facts VALUES (?, ?)", (f"first_success:{feed}", now))

    def feed_failed(self, feed: str, message: str) -> None:
        """Record a failed pull of a feed (the message carries no personal data or secret)."""
        now = utc_now()
        with self.transaction() as db:
            db.execute(
                "INSERT INTO feed_status (feed, last_error, last_error_at, last_attempt) "
                "VALUES (?, ?, ?, ?) ON CONFLICT (feed) DO UPDATE SET "
                "last_error=excluded.last_error, last_error_at=excluded.last_error_at, "
                "last_attempt=excluded.last_attempt",
                (feed, message, now, now),
            )

    def feed_statuses(self) -> dict[str, dict[str, str | None]]:
        """Per feed: last_success, last_error, last_error_at, last_attempt."""
        rows = self._db.execute(
            "SELECT feed, last_success, last_error, last_error_at, last_attempt FROM feed_status"
        ).fetchall()
        keys = ("last_success", "last_error", "last_error_at", "last_attempt")
        return {row[0]: dict(zip(keys, row[1:], strict=True)) for row in rows}

    def fact(self, key: str) -> str | None:
        """A remembered value (e.g. the hash of a config file last seen)."""
        row = self._db.execute("SELECT value FROM facts WHERE key=?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def facts(self, prefix: str) -> dict[str, str]:
        """Every remembered value whose key starts with ``prefix``."""
        rows = self._db.execute(
            "SELECT key, value FROM facts WHERE substr(key, 1, ?) = ?", (len(prefix), prefix)
        ).fetchall()
        return {str(key): str(value) for key, value in rows}

    def set_fact(self, key: str, value: str) -> None:
        """Remember a value."""
        with self.transaction() as db:
            db.execute(
                "INSERT INTO facts VALUES (?, ?) "
                "ON CONFLICT (key) DO UPDATE SET value=excluded.value",
                (key, value),
            )


def ended_by(error: BaseException) -> str:
    """The status of a run that ``error`` ended: 'interrupted' (Ctrl-C) or 'crashed'."""
    return "interrupted" if is_interruption(error) else "crashed"


def extract_id_for(feed: str, sha256: str) -> str:
    """The hub's id of an extract: the feed and the first 16 hex digits of its sha256."""
    return f"{feed}-{sha256[:16]}"


_FILE_COLUMNS = "feed, name, size, mtime, sha256, path, status, reason, recorded_at, handled"


def _make_current(db: sqlite3.Connection, extract_id: str) -> None:
    db.execute(
        "UPDATE extracts SET current_seq=(SELECT coalesce(max(current_seq), 0) + 1 FROM "
        "extracts) WHERE extract_id=?",
        (extract_id,),
    )


def _extract(row: tuple[Any, ...]) -> Extract:
    (extract_id, feed, sha256, name, landed_path, landed_at, status, _read, accepted, rejected,
     detail, _ingested_at, current_seq) = row  # fmt: skip
    return Extract(
        extract_id, feed, sha256, name, Path(landed_path), landed_at, status, accepted,
        rejected, json.loads(detail) if detail else {}, current_seq,
    )  # fmt: skip
