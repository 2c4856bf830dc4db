"""The person-id registry: hub-owned ids that last, review decisions, and what changed.

Splink's cluster ids change between runs; the hub's person ids must not. Each run's clusters
are reconciled with the previous assignment by the records they share:

1. each previous person *prefers* the new cluster holding most of its records (ties: the
   lowest cluster);
2. each cluster keeps the id of the person, among those preferring it, with most records there
   (ties: the oldest id); a cluster nobody prefers gets a new id (``IOM-000123``);
3. events record what happened: ``created`` (a new person), ``merged`` (a person's id gave way
   to another's: their records are now one person), ``split`` (a person's records went to more
   than one person), ``retired`` (no current record), ``returned`` (records came back).

The decisions are made in SQL over the run's tables (:mod:`matching.reconcile`), never person
by person in Python. Every record ever seen keeps its last person id, so a record that leaves an
extract and comes back finds its person again. The registry is, beside the matching outputs:

- ``registry.db`` (SQLite): persons, events, review decisions, runs and ``meta`` (the next id
  number; ``assignment_snapshot``, the file name of the current snapshot), written in one
  transaction per run;
- ``assignments/<run_id>.parquet``: the assignment of every record ever seen (source,
  source_record_id, person_id, present, first_run, updated_run), computed and written by the
  matching engine, never row by row in Python. A run's snapshot is fsynced and moved in before
  the SQLite transaction that names it; readers use only the snapshot named in ``meta``, so a
  run that fails before its commit leaves the previous snapshot in force. After a commit, the
  current and the previous snapshots are kept and any other file is removed.

A registry.db from before the snapshots kept the assignment in a ``records`` table: on first
open it is exported once to ``assignments/migrated.parquet`` and the table is dropped.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import os
import re
import sqlite3
from collections.abc import Collection
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from matching.errors import MatchingError, ReviewError
from matching.reconcile import ID_FORMAT, ID_PREFIX, OVERLAP_SCHEMA, Reconciliation, decide
from schemas.duckdb_session import DuckDBSettings
from schemas.sqlite_store import open_database, transaction

if TYPE_CHECKING:
    import pyarrow as pa

__all__ = ["ID_PREFIX", "PersonRegistry", "Reconciliation"]

SNAPSHOT_KEY = "assignment_snapshot"
"""The ``meta`` key naming the current assignment snapshot."""
SNAPSHOT_FOLDER = "assignments"
SNAPSHOT_COLUMNS = ("source", "source_record_id", "person_id", "present", "first_run",
                    "updated_run")  # fmt: skip
EMPTY_SNAPSHOT_SQL = (
    "SELECT CAST(NULL AS VARCHAR) AS source, CAST(NULL AS VARCHAR) AS source_record_id, "
    "CAST(NULL AS VARCHAR) AS person_id, CAST(NULL AS BOOLEAN) AS present, "
    "CAST(NULL AS VARCHAR) AS first_run, CAST(NULL AS VARCHAR) AS updated_run WHERE false"
)
"""An assignment with no records (engine SQL): the previous one of a first run."""
MIGRATED_SNAPSHOT = "migrated.parquet"
_RUN_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS persons (
    person_id TEXT PRIMARY KEY, status TEXT NOT NULL, merged_into TEXT,
    created_run TEXT NOT NULL, updated_run TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS events (
    event_id INTEGER PRIMARY KEY AUTOINCREMENT, run_id TEXT NOT NULL, at TEXT NOT NULL,
    kind TEXT NOT NULL, person_id TEXT NOT NULL, related TEXT NOT NULL, records INTEGER);
CREATE TABLE IF NOT EXISTS decisions (
    source_l TEXT NOT NULL, record_l TEXT NOT NULL, source_r TEXT NOT NULL,
    record_r TEXT NOT NULL, decision TEXT NOT NULL CHECK (decision IN ('same', 'different')),
    decided_at TEXT NOT NULL, decided_by TEXT, note TEXT,
    PRIMARY KEY (source_l, record_l, source_r, record_r));
CREATE TABLE IF NOT EXISTS runs (
    run_id TEXT PRIMARY KEY, at TEXT NOT NULL, model_version TEXT NOT NULL,
    counts TEXT NOT NULL);
"""


def utc_now() -> str:
    """The current UTC time as ISO 8601 with seconds."""
    return datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")


RecordKey = tuple[str, str]
"""(source, source_record_id)."""


def snapshot_sql(run_id: str, current: str = "assignment", previous: str = "previous") -> str:
    """Engine SQL for the assignment after a run: every record of ``current`` (source,
    source_record_id, person_id) present, every other record of ``previous`` (a snapshot) kept
    with its last person id and not present; ``first_run`` kept for known records;
    ``updated_run`` set to this run where the person id or presence changed."""
    run = "'" + _check_run_id(run_id) + "'"
    return f"""
        SELECT coalesce(c.source, p.source) AS source,
               coalesce(c.source_record_id, p.source_record_id) AS source_record_id,
               coalesce(c.person_id, p.person_id) AS person_id,
               c.source IS NOT NULL AS present,
               coalesce(p.first_run, {run}) AS first_run,
               CASE WHEN p.source IS NULL OR p.present <> (c.source IS NOT NULL)
                         OR p.person_id <> coalesce(c.person_id, p.person_id)
                    THEN {run} ELSE p.updated_run END AS updated_run
        FROM {current} c FULL OUTER JOIN {previous} p
          ON c.source = p.source AND c.source_record_id = p.source_record_id
    """


def pair_key(left: RecordKey, right: RecordKey) -> tuple[RecordKey, RecordKey]:
    """A pair of records in canonical order."""
    return (left, right) if left <= right else (right, left)


def pair_id(left: RecordKey, right: RecordKey) -> str:
    """A short, stable id for a pair of records (for review commands)."""
    a, b = pair_key(left, right)
    digest = hashlib.sha256(f"{a[0]}\x1f{a[1]}\x1e{b[0]}\x1f{b[1]}".encode()).hexdigest()
    return digest[:10]


@dataclass(frozen=True)
class Decision:
    """A reviewer's decision on a pair of records."""

    left: RecordKey
    right: RecordKey
    same: bool
    decided_at: str
    decided_by: str | None = None
    note: str | None = None


class PersonRegistry:
    """Access to the registry: ``matched/registry.db`` and the snapshots in ``assignments/``."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._db = open_database(path, _SCHEMA)
        self.snapshots = path.parent / SNAPSHOT_FOLDER
        self._based_on: tuple[str | None] | None = None
        """The snapshot name :meth:`assignment_snapshot` handed out (None: not asked)."""
        self._migrate_records()

    def close(self) -> None:
        """Close the database."""
        self._db.close()

    def __enter__(self) -> PersonRegistry:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- reading -------------------------------------------------------------------------

    def assignment_snapshot(self) -> Path | None:
        """The current assignment snapshot (a Parquet file of :data:`SNAPSHOT_COLUMNS`), or None
        before the first run. The engine reads it directly."""
        name = self._snapshot_name(self._db)
        self._based_on = (name,)
        if name is None:
            return None
        path = self.snapshots / name
        if not path.is_file():
            raise MatchingError(
                f"the registry's assignment snapshot {name} is missing",
                hint=f"restore {self.snapshots} from a backup; matching now would renumber people",
            )
        return path

    def person_status(self) -> dict[str, str]:
        """person id -> status ('active', 'merged', 'retired')."""
        return dict(self._db.execute("SELECT person_id, status FROM persons").fetchall())

    def merged_into(self) -> dict[str, str]:
        """person id -> the person id it gave way to, for every merged person."""
        return dict(self._db.execute(
            "SELECT person_id, merged_into FROM persons WHERE merged_into IS NOT NULL"
        ).fetchall())  # fmt: skip

    def events(self, limit: int = 100) -> list[dict[str, Any]]:
        """The latest merge/split/create events, newest first."""
        rows = self._db.execute(
            "SELECT run_id, at, kind, person_id, related, records FROM events "
            "ORDER BY event_id DESC LIMIT ?", (limit,)
        ).fetchall()  # fmt: skip
        keys = ("run_id", "at", "kind", "person_id", "related", "records")
        return [dict(zip(keys, (*row[:4], json.loads(row[4]), row[5]), strict=True))
                for row in rows]  # fmt: skip

    def events_of(self, person_ids: Collection[str]) -> list[dict[str, Any]]:
        """The events naming any of ``person_ids`` (as the person or among the related),
        oldest first, each with the time of its run."""
        ids = sorted(set(person_ids))
        if not ids:
            return []
        marks = ", ".join("?" for _ in ids)
        rows = self._db.execute(
            "SELECT e.run_id, e.at, e.kind, e.person_id, e.related, e.records FROM events e "
            f"WHERE e.person_id IN ({marks}) OR EXISTS (SELECT 1 FROM json_each(e.related) "
            f"WHERE json_each.value IN ({marks})) ORDER BY e.event_id", (*ids, *ids),
        ).fetchall()  # fmt: skip
        keys = ("run_id", "at", "kind", "person_id", "related", "records")
        return [dict(zip(keys, (*row[:4], json.loads(row[4]), row[5]), strict=True))
                for row in rows]  # fmt: skip

    def run_times(self) -> dict[str, str]:
        """run id -> when the run was committed (ISO 8601)."""
        return dict(self._db.execute("SELECT run_id, at FROM runs").fetchall())

    def decisions(self) -> list[Decision]:
        """Every review decision, oldest first."""
        rows = self._db.execute(
            "SELECT source_l, record_l, source_r, record_r, decision, decided_at, decided_by, "
            "note FROM decisions ORDER BY decided_at, source_l, record_l"
        ).fetchall()
        return [Decision((r[0], r[1]), (r[2], r[3]), r[4] == "same", r[5], r[6], r[7])
                for r in rows]  # fmt: skip

    def decisions_table(self) -> pa.Table:
        """Decisions as Arrow: source_l, record_l, source_r, record_r, same."""
        import pyarrow as pa

        decided = self.decisions()
        return pa.table({
            "source_l": pa.array([d.left[0] for d in decided], pa.string()),
            "record_l": pa.array([d.left[1] for d in decided], pa.string()),
            "source_r": pa.array([d.right[0] for d in decided], pa.string()),
            "record_r": pa.array([d.right[1] for d in decided], pa.string()),
            "same": pa.array([d.same for d in decided], pa.bool_()),
        })  # fmt: skip

    # --- decisions -----------------------------------------------------------------------

    def decide(
        self, left: RecordKey, right: RecordKey, same: bool, *, by: str | None = None,
        note: str | None = None,
    ) -> Decision:  # fmt: skip
        """Record (or replace) a reviewer's decision; it overrides the model from now on."""
        if left == right:
            raise ReviewError("a record cannot be reviewed against itself")
        a, b = pair_key(left, right)
        decision = Decision(a, b, same, utc_now(), by, note)
        with transaction(self._db) as db:
            db.execute(
                "INSERT OR REPLACE INTO decisions VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (a[0], a[1], b[0], b[1], "same" if same else "different",
                 decision.decided_at, by, note),
            )  # fmt: skip
        return decision

    def withdraw(self, left: RecordKey, right: RecordKey) -> bool:
        """Remove a decision; the model decides the pair again. True if there was one."""
        a, b = pair_key(left, right)
        with transaction(self._db) as db:
            cursor = db.execute(
                "DELETE FROM decisions WHERE source_l=? AND record_l=? AND source_r=? "
                "AND record_r=?", (a[0], a[1], b[0], b[1])
            )  # fmt: skip
        return cursor.rowcount > 0

    # --- reconciliation ------------------------------------------------------------------

    def reconcile(
        self, overlap: pa.Table | list[tuple[int, str, int]], clusters: pa.Array | list[int],
        absent_persons: set[str] | None = None, *, session: DuckDBSettings | None = None,
    ) -> Reconciliation:  # fmt: skip
        """Decide each cluster's person id (the rules in this module's docstring).

        ``overlap`` holds (cluster key, previous person id, shared records) rows, as a table of
        :data:`~matching.reconcile.OVERLAP_SCHEMA` or a list; ``clusters`` every current cluster
        key; ``absent_persons`` the persons to retire unless kept (None: every active person
        with no record in ``overlap``); ``session`` bounds the SQL that decides. Nothing is
        written: :meth:`commit` does that.
        """
        import pyarrow as pa

        if not isinstance(overlap, pa.Table):
            columns = list(zip(*overlap, strict=True)) if overlap else [[], [], []]
            overlap = pa.table([pa.array(list(c), f.type) for c, f in
                                zip(columns, OVERLAP_SCHEMA, strict=True)],
                               schema=OVERLAP_SCHEMA)  # fmt: skip
        if not isinstance(clusters, pa.Array | pa.ChunkedArray):
            clusters = pa.array(clusters, pa.int64())
        absent = None if absent_persons is None else pa.array(sorted(absent_persons), pa.string())
        return decide(
            overlap, clusters, active=self._ids("active"), retired_before=self._ids("retired"),
            absent=absent, next_number=self._next_number(),
            session=session,
        )  # fmt: skip

    def _ids(self, status: str) -> pa.Array:
        import pyarrow as pa

        rows = self._db.execute("SELECT person_id FROM persons WHERE status=?", (status,))
        return pa.array([row[0] for row in rows], pa.string())

    def commit(
        self, run_id: str, result: Reconciliation, snapshot: Path, counts: dict[str, Any],
        model_version: str,
    ) -> None:  # fmt: skip
        """Make one run's outcome current.

        ``snapshot`` is the run's complete assignment (written by the engine from
        :func:`snapshot_sql`, on the registry's file system). It is fsynced and moved into the
        snapshot folder; then persons, events, the run and the snapshot's name are written in
        one transaction; then snapshots older than the previous one are removed.
        """
        name = self._place_snapshot(run_id, snapshot)
        with transaction(self._db) as db:
            before = self._snapshot_name(db)
            if self._based_on is not None and self._based_on[0] != before:
                raise MatchingError("the person registry changed while this run was matching",
                                    hint="run the match again")  # fmt: skip
            self._write_run(db, run_id, result, name, counts, model_version)
        self._based_on = (name,)
        self._prune_snapshots({name, before})

    def _place_snapshot(self, run_id: str, snapshot: Path) -> str:
        """Check, fsync and move a run's snapshot into the folder; return its file name."""
        import pyarrow.parquet as pq

        if tuple(pq.read_schema(snapshot).names) != SNAPSHOT_COLUMNS:
            raise MatchingError("a run's assignment snapshot has unexpected columns")
        current = self._snapshot_name(self._db)
        name, attempt = f"{_check_run_id(run_id)}.parquet", 1
        while name == current:  # a run id used again: never overwrite the snapshot in force
            attempt += 1
            name = f"{run_id}-{attempt}.parquet"
        self.snapshots.mkdir(parents=True, exist_ok=True)
        _fsync(snapshot)
        os.replace(snapshot, self.snapshots / name)
        _fsync(self.snapshots)
        return name

    def _write_run(
        self, db: sqlite3.Connection, run_id: str, result: Reconciliation, snapshot: str,
        counts: dict[str, Any], model_version: str,
    ) -> None:  # fmt: skip
        now = utc_now()
        merged_into = {a: kept_id for kind, kept_id, absorbed, _ in result.events
                       if kind == "merged" for a in absorbed}  # fmt: skip
        retired = {p for kind, p, _, _ in result.events if kind == "retired"}
        activate = (
            "ON CONFLICT (person_id) DO UPDATE SET status='active', merged_into=NULL, "
            "updated_run=excluded.updated_run WHERE status <> 'active'"
        )
        if result.created:  # new ids are consecutive: SQLite writes them itself
            last = result.first_created + result.created - 1
            db.execute(
                "WITH RECURSIVE seq(n) AS (SELECT ? UNION ALL SELECT n + 1 FROM seq WHERE n < ?) "
                "INSERT INTO persons SELECT printf(?, n), 'active', NULL, ?, ? FROM seq "
                f"WHERE true {activate}",
                (result.first_created, last, ID_FORMAT, run_id, run_id),
            )
        db.executemany(
            f"INSERT INTO persons VALUES (?, 'active', NULL, ?, ?) {activate}",
            ((p, run_id, run_id) for p in result.activated),
        )
        db.executemany(
            "UPDATE persons SET status='merged', merged_into=?, updated_run=? "
            "WHERE person_id=?", [(k, run_id, p) for p, k in sorted(merged_into.items())]
        )  # fmt: skip
        db.executemany(
            "UPDATE persons SET status='retired', updated_run=? WHERE person_id=?",
            [(run_id, p) for p in sorted(retired)],
        )
        db.executemany(
            "INSERT INTO events (run_id, at, kind, person_id, related, records) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            [(run_id, now, kind, person, json.dumps(related), records)
             for kind, person, related, records in result.events],
        )  # fmt: skip
        top = result.top_number
        db.execute(
            "INSERT INTO meta VALUES ('next_number', ?) ON CONFLICT (key) DO UPDATE SET "
            "value = max(CAST(value AS INTEGER), CAST(excluded.value AS INTEGER))",
            (str(max(top + 1, self._next_number())),),
        )
        db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (SNAPSHOT_KEY, snapshot))
        db.execute(
            "INSERT OR REPLACE INTO runs VALUES (?, ?, ?, ?)",
            (run_id, now, model_version, json.dumps(counts, default=str)),
        )

    def _prune_snapshots(self, keep: set[str | None]) -> None:
        """Remove every file of the snapshot folder but ``keep`` (orphans of failed runs and
        snapshots older than the previous one)."""
        for path in self.snapshots.iterdir():
            if path.name not in keep and path.is_file():
                path.unlink(missing_ok=True)

    @staticmethod
    def _snapshot_name(db: sqlite3.Connection) -> str | None:
        row = db.execute("SELECT value FROM meta WHERE key=?", (SNAPSHOT_KEY,)).fetchone()
        return str(row[0]) if row else None

    def _migrate_records(self) -> None:
        """Export a ``records`` table from before the snapshots once to a snapshot, then drop
        it (a one-off pass; the write lock is held throughout, so it runs once)."""
        exists = "SELECT 1 FROM sqlite_master WHERE type='table' AND name='records'"
        if self._db.execute(exists).fetchone() is None:
            return
        with transaction(self._db) as db:
            if db.execute(exists).fetchone() is None:
                return
            has_rows = db.execute("SELECT 1 FROM records LIMIT 1").fetchone() is not None
            if has_rows and self._snapshot_name(db) is None:
                self.snapshots.mkdir(parents=True, exist_ok=True)
                partial = self.snapshots / f".{MIGRATED_SNAPSHOT}.partial"
                _export_records(db, partial)
                _fsync(partial)
                os.replace(partial, self.snapshots / MIGRATED_SNAPSHOT)
                _fsync(self.snapshots)
                db.execute("INSERT INTO meta VALUES (?, ?)", (SNAPSHOT_KEY, MIGRATED_SNAPSHOT))
            db.execute("DROP TABLE records")
        # Give the table's pages back to the file system; if another connection is busy, later
        # writes reuse them instead.
        with suppress(sqlite3.OperationalError):
            self._db.execute("VACUUM")

    def _next_number(self) -> int:
        row = self._db.execute("SELECT value FROM meta WHERE key='next_number'").fetchone()
        return int(row[0]) if row else 1


def _check_run_id(run_id: str) -> str:
    """A run id safe as a file name and an SQL literal."""
    if not _RUN_ID.fullmatch(run_id):
        raise MatchingError("a run id may hold only letters, digits, '.', '_' and '-'")
    return run_id


def _fsync(path: Path) -> None:
    """Flush a file's (or a folder's entries') writes to disk."""
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _export_records(db: sqlite3.Connection, path: Path) -> None:
    """Write the old ``records`` table to a snapshot file, one batch at a time."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    schema = pa.schema([("source", pa.string()), ("source_record_id", pa.string()),
                        ("person_id", pa.string()), ("present", pa.bool_()),
                        ("first_run", pa.string()), ("updated_run", pa.string())])  # fmt: skip
    stored = [pa.int64() if f.name == "present" else f.type for f in schema]
    cursor = db.execute(f"SELECT {', '.join(SNAPSHOT_COLUMNS)} FROM records")
    with pq.ParquetWriter(path, schema, compression="zstd") as writer:
        while rows := cursor.fetchmany(100_000):
            columns = [
                pa.array(values, kind)
                for values, kind in zip(zip(*rows, strict=True), stored, strict=True)
            ]
            columns[3] = pc.not_equal(columns[3], 0)
            writer.write_batch(pa.record_batch(columns, schema=schema))
