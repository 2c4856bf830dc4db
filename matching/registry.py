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

Every record ever seen keeps its last person id, so a record that leaves an extract and comes
back finds its person again. Everything lives in one SQLite database inside the workspace,
written in one transaction per run.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import sqlite3
from collections import defaultdict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from matching.errors import ReviewError

if TYPE_CHECKING:
    import pyarrow as pa

ID_PREFIX = "IOM-"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS persons (
    person_id TEXT PRIMARY KEY, status TEXT NOT NULL, merged_into TEXT,
    created_run TEXT NOT NULL, updated_run TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS records (
    source TEXT NOT NULL, source_record_id TEXT NOT NULL, person_id TEXT NOT NULL,
    present INTEGER NOT NULL, first_run TEXT NOT NULL, updated_run TEXT NOT NULL,
    PRIMARY KEY (source, source_record_id));
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


@dataclass
class Reconciliation:
    """What one reconciliation did."""

    assignment: dict[int, str]
    """cluster key -> person id."""
    created: int = 0
    merges: int = 0
    splits: int = 0
    retired: int = 0
    returned: int = 0
    events: list[tuple[str, str, list[str], int]] = field(default_factory=list)
    """(kind, person id, related ids, records)."""


class PersonRegistry:
    """Access to the registry database (``matched/registry.db``)."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._db = sqlite3.connect(path, timeout=30, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.executescript(_SCHEMA)

    def close(self) -> None:
        """Close the database."""
        self._db.close()

    def __enter__(self) -> PersonRegistry:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield self._db
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    # --- reading -------------------------------------------------------------------------

    def previous_assignment(self) -> pa.Table:
        """Every record ever assigned: source, source_record_id, person_id, present."""
        import pyarrow as pa

        rows = self._db.execute(
            "SELECT source, source_record_id, person_id, present FROM records"
        ).fetchall()
        columns = list(zip(*rows, strict=True)) if rows else [[], [], [], []]
        columns[3] = [bool(v) for v in columns[3]]
        types = (pa.string(), pa.string(), pa.string(), pa.bool_())
        names = ("source", "source_record_id", "person_id", "present")
        return pa.table({name: pa.array(list(values), kind) for name, values, kind in
                         zip(names, columns, types, strict=True)})  # fmt: skip

    def person_status(self) -> dict[str, str]:
        """person id -> status ('active', 'merged', 'retired')."""
        return dict(self._db.execute("SELECT person_id, status FROM persons").fetchall())

    def events(self, limit: int = 100) -> list[dict[str, Any]]:
        """The latest merge/split/create events, newest first."""
        rows = self._db.execute(
            "SELECT run_id, at, kind, person_id, related, records FROM events "
            "ORDER BY event_id DESC LIMIT ?", (limit,)
        ).fetchall()  # fmt: skip
        keys = ("run_id", "at", "kind", "person_id", "related", "records")
        return [dict(zip(keys, (*row[:4], json.loads(row[4]), row[5]), strict=True))
                for row in rows]  # fmt: skip

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
        with self._transaction() as db:
            db.execute(
                "INSERT OR REPLACE INTO decisions VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (a[0], a[1], b[0], b[1], "same" if same else "different",
                 decision.decided_at, by, note),
            )  # fmt: skip
        return decision

    def withdraw(self, left: RecordKey, right: RecordKey) -> bool:
        """Remove a decision; the model decides the pair again. True if there was one."""
        a, b = pair_key(left, right)
        with self._transaction() as db:
            cursor = db.execute(
                "DELETE FROM decisions WHERE source_l=? AND record_l=? AND source_r=? "
                "AND record_r=?", (a[0], a[1], b[0], b[1])
            )  # fmt: skip
        return cursor.rowcount > 0

    # --- reconciliation ------------------------------------------------------------------

    def reconcile(self, overlap: list[tuple[int, str, int]], clusters: list[int],
                  absent_persons: set[str]) -> Reconciliation:  # fmt: skip
        """Decide each cluster's person id.

        ``overlap`` lists (cluster key, previous person id, shared records); ``clusters`` every
        current cluster key; ``absent_persons`` previous active persons with no current record.
        Nothing is written: :meth:`commit` does that.
        """
        status = self.person_status()
        best: dict[str, tuple[int, int]] = {}
        spread: dict[str, set[int]] = defaultdict(set)
        for cluster, person, shared in overlap:
            spread[person].add(cluster)
            current = best.get(person)
            if current is None or (shared, -cluster) > (current[1], -current[0]):
                best[person] = (cluster, shared)
        claims: dict[int, list[tuple[int, str]]] = defaultdict(list)
        for person, (cluster, shared) in best.items():
            claims[cluster].append((shared, person))
        result = Reconciliation({})
        for cluster, claimants in claims.items():
            claimants.sort(key=lambda c: (-c[0], _id_number(c[1])))
            kept = claimants[0][1]
            result.assignment[cluster] = kept
            if status.get(kept) == "retired":
                result.returned += 1
                result.events.append(("returned", kept, [], claimants[0][0]))
            absorbed = [person for _, person in claimants[1:]]
            if absorbed:
                result.merges += 1
                result.events.append(("merged", kept, absorbed, sum(c[0] for c in claimants)))
        next_number = self._next_number()
        for cluster in sorted(clusters):
            if cluster not in result.assignment:
                result.assignment[cluster] = f"{ID_PREFIX}{next_number:06d}"
                next_number += 1
                result.created += 1
        for person, clusters_of_person in spread.items():
            if len(clusters_of_person) > 1:
                result.splits += 1
                parts = sorted({result.assignment[c] for c in clusters_of_person} - {person})
                result.events.append(("split", person, parts, len(clusters_of_person)))
        for person in sorted(absent_persons):
            if person not in result.assignment.values():
                result.retired += 1
                result.events.append(("retired", person, [], 0))
        return result

    def commit(
        self, run_id: str, result: Reconciliation,
        changed_records: Iterable[tuple[str, str, str]], absent_records: Iterable[tuple[str, str]],
        counts: dict[str, Any], model_version: str,
    ) -> None:  # fmt: skip
        """Write one run's outcome in a single transaction.

        ``changed_records`` are (source, record id, person id) for records new or moved;
        ``absent_records`` records no longer in any current extract (either may be a stream;
        in key order they insert fastest).
        """
        now = utc_now()
        kept = set(result.assignment.values())
        merged_into = {a: kept_id for kind, kept_id, absorbed, _ in result.events
                       if kind == "merged" for a in absorbed}  # fmt: skip
        retired = {p for kind, p, _, _ in result.events if kind == "retired"}
        with self._transaction() as db:
            db.executemany(
                "INSERT INTO persons VALUES (?, 'active', NULL, ?, ?) ON CONFLICT (person_id) "
                "DO UPDATE SET status='active', merged_into=NULL, updated_run=excluded.updated_run "
                "WHERE status <> 'active'",
                ((p, run_id, run_id) for p in sorted(kept)),
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
                "INSERT INTO records VALUES (?, ?, ?, 1, ?, ?) ON CONFLICT (source, "
                "source_record_id) DO UPDATE SET person_id=excluded.person_id, present=1, "
                "updated_run=excluded.updated_run",
                ((s, r, p, run_id, run_id) for s, r, p in changed_records),
            )
            db.executemany(
                "UPDATE records SET present=0, updated_run=? WHERE source=? "
                "AND source_record_id=?", ((run_id, s, r) for s, r in absent_records),
            )  # fmt: skip
            db.executemany(
                "INSERT INTO events (run_id, at, kind, person_id, related, records) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                [(run_id, now, kind, person, json.dumps(related), records)
                 for kind, person, related, records in result.events],
            )  # fmt: skip
            top = max((_id_number(p) for p in kept), default=0)
            db.execute(
                "INSERT INTO meta VALUES ('next_number', ?) ON CONFLICT (key) DO UPDATE SET "
                "value = max(CAST(value AS INTEGER), CAST(excluded.value AS INTEGER))",
                (str(max(top + 1, self._next_number())),),
            )
            db.execute(
                "INSERT OR REPLACE INTO runs VALUES (?, ?, ?, ?)",
                (run_id, now, model_version, json.dumps(counts, default=str)),
            )

    def _next_number(self) -> int:
        row = self._db.execute("SELECT value FROM meta WHERE key='next_number'").fetchone()
        return int(row[0]) if row else 1

    def active_persons(self) -> set[str]:
        """Ids of persons currently active."""
        return {r[0] for r in self._db.execute(
            "SELECT person_id FROM persons WHERE status='active'")}  # fmt: skip


def _id_number(person_id: str) -> int:
    try:
        return int(person_id.removeprefix(ID_PREFIX))
    except ValueError:
        return 1 << 62
