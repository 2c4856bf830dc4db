"""The person-id registry: reconciliation by shared records, events, decisions, and the
assignment snapshots (written before the SQLite commit that names them; migrated once from the
old ``records`` table)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from matching.errors import MatchingError, ReviewError
from matching.registry import (
    EMPTY_SNAPSHOT_SQL,
    MIGRATED_SNAPSHOT,
    SNAPSHOT_COLUMNS,
    PersonRegistry,
    Reconciliation,
    pair_id,
    pair_key,
    snapshot_sql,
)

Row = tuple[str, str, str, bool, str, str]


def _snapshot(registry: PersonRegistry, rows: list[Row]) -> Path:
    """A run's snapshot file, as the engine would write it, beside the registry."""
    path = registry.path.parent / "incoming" / "assignment.parquet"
    path.parent.mkdir(exist_ok=True)
    columns = list(zip(*rows, strict=True)) if rows else [[]] * len(SNAPSHOT_COLUMNS)
    types = [pa.bool_() if name == "present" else pa.string() for name in SNAPSHOT_COLUMNS]
    arrays = [pa.array(list(values), kind) for values, kind in zip(columns, types, strict=True)]
    pq.write_table(pa.table(dict(zip(SNAPSHOT_COLUMNS, arrays, strict=True))), path)
    return path


def _commit(registry: PersonRegistry, run_id: str, result: Reconciliation,
            rows: list[Row] | None = None) -> None:  # fmt: skip
    registry.commit(run_id, result, _snapshot(registry, rows or []), {}, "m1")


def _read(path: Path | None) -> list[dict]:
    assert path is not None
    return sorted(pq.read_table(path).to_pylist(), key=lambda r: r["source_record_id"])


def _first_run(registry: PersonRegistry) -> dict[int, str]:
    result = registry.reconcile([], [10, 20, 30], set())
    _commit(registry, "run-1", result, [("police", f"R{k}", result.assignment[k], True, "run-1",
                                         "run-1") for k in (10, 20, 30)])  # fmt: skip
    return result.assignment


def test_new_clusters_get_new_sequential_ids(tmp_path: Path) -> None:
    with PersonRegistry(tmp_path / "registry.db") as registry:
        assignment = _first_run(registry)
        assert assignment == {10: "IOM-000001", 20: "IOM-000002", 30: "IOM-000003"}
        again = registry.reconcile([], [40], set())
        assert again.assignment == {40: "IOM-000004"}


def test_a_merge_keeps_the_id_with_most_records_and_records_the_event(tmp_path: Path) -> None:
    with PersonRegistry(tmp_path / "registry.db") as registry:
        _first_run(registry)
        # Cluster 7 now holds 2 records of IOM-000002 and 1 of IOM-000001.
        result = registry.reconcile([(7, "IOM-000001", 1), (7, "IOM-000002", 2),
                                     (8, "IOM-000003", 1)], [7, 8], set())  # fmt: skip
        assert result.assignment == {7: "IOM-000002", 8: "IOM-000003"}
        assert result.merges == 1 and result.created == 0
        assert ("merged", "IOM-000002", ["IOM-000001"], 3) in result.events
        _commit(registry, "run-2", result)
        assert registry.person_status()["IOM-000001"] == "merged"


def test_a_split_keeps_the_id_on_the_larger_part(tmp_path: Path) -> None:
    with PersonRegistry(tmp_path / "registry.db") as registry:
        _first_run(registry)
        result = registry.reconcile([(5, "IOM-000001", 2), (6, "IOM-000001", 1)], [5, 6], set())
        assert result.assignment[5] == "IOM-000001"
        assert result.assignment[6] == "IOM-000004"
        assert result.splits == 1
        assert ("split", "IOM-000001", ["IOM-000004"], 2) in result.events


def test_ties_go_to_the_oldest_id(tmp_path: Path) -> None:
    with PersonRegistry(tmp_path / "registry.db") as registry:
        _first_run(registry)
        result = registry.reconcile([(9, "IOM-000003", 1), (9, "IOM-000002", 1)], [9], set())
        assert result.assignment == {9: "IOM-000002"}


def test_absent_people_retire_and_return(tmp_path: Path) -> None:
    with PersonRegistry(tmp_path / "registry.db") as registry:
        _first_run(registry)
        result = registry.reconcile([(1, "IOM-000001", 1)], [1], {"IOM-000002", "IOM-000003"})
        assert result.retired == 2
        _commit(registry, "run-2", result)
        assert registry.person_status()["IOM-000002"] == "retired"
        back = registry.reconcile([(1, "IOM-000002", 1)], [1], set())
        assert back.assignment == {1: "IOM-000002"} and back.returned == 1
        _commit(registry, "run-3", back)
        assert registry.person_status()["IOM-000002"] == "active"
        with sqlite3.connect(registry.path) as db:  # a person active throughout is untouched
            rows = db.execute("SELECT person_id, status, created_run, updated_run FROM persons "
                              "ORDER BY person_id").fetchall()  # fmt: skip
        db.close()
        assert rows == [("IOM-000001", "active", "run-1", "run-1"),
                        ("IOM-000002", "active", "run-1", "run-3"),
                        ("IOM-000003", "retired", "run-1", "run-2")]  # fmt: skip
        assert registry.reconcile([], [99], set()).assignment == {99: "IOM-000004"}


def test_decisions_are_kept_in_canonical_order_and_can_be_withdrawn(tmp_path: Path) -> None:
    with PersonRegistry(tmp_path / "registry.db") as registry:
        registry.decide(("probation", "X1"), ("police", "P1"), True, by="a")
        registry.decide(("police", "P1"), ("probation", "X1"), False, by="b", note="twins")
        decided = registry.decisions()
        assert len(decided) == 1
        assert decided[0].left == ("police", "P1") and not decided[0].same
        assert registry.decisions_table().num_rows == 1
        assert registry.withdraw(("probation", "X1"), ("police", "P1"))
        assert not registry.decisions()
        with pytest.raises(ReviewError):
            registry.decide(("police", "P1"), ("police", "P1"), True)


def test_pair_ids_ignore_order() -> None:
    a, b = ("police", "P1"), ("health", "H1")
    assert pair_id(a, b) == pair_id(b, a)
    assert pair_key(a, b) == (b, a)


def test_the_snapshot_named_in_meta_is_current_and_older_ones_are_removed(tmp_path: Path) -> None:
    with PersonRegistry(tmp_path / "registry.db") as registry:
        assert registry.assignment_snapshot() is None
        _first_run(registry)
        (registry.snapshots / "crashed-run.parquet").write_bytes(b"orphan")
        for run_id in ("run-2", "run-3"):
            _commit(registry, run_id, registry.reconcile([], [1], set()))
        assert registry.assignment_snapshot() == registry.snapshots / "run-3.parquet"
        assert sorted(p.name for p in registry.snapshots.iterdir()) == [
            "run-2.parquet", "run-3.parquet"]  # fmt: skip
        # A run id used again never overwrites the snapshot in force.
        _commit(registry, "run-3", registry.reconcile([], [1], set()))
        assert registry.assignment_snapshot() == registry.snapshots / "run-3-2.parquet"
    with PersonRegistry(tmp_path / "registry.db") as registry:
        assert registry.assignment_snapshot() == registry.snapshots / "run-3-2.parquet"


def test_a_failed_commit_leaves_the_previous_snapshot_in_force(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with PersonRegistry(tmp_path / "registry.db") as registry:
        _first_run(registry)
        before = _read(registry.assignment_snapshot())

        def crash(*_args: object) -> None:
            raise OSError("power cut")

        monkeypatch.setattr(PersonRegistry, "_write_run", crash)
        moved = [("police", "R10", "IOM-000009", True, "run-1", "run-2")]
        with pytest.raises(OSError):
            _commit(registry, "run-2", registry.reconcile([], [1], set()), moved)
        assert (registry.snapshots / "run-2.parquet").exists()  # moved in, never named
    monkeypatch.undo()
    with PersonRegistry(tmp_path / "registry.db") as registry:
        assert registry.assignment_snapshot() == registry.snapshots / "run-1.parquet"
        assert _read(registry.assignment_snapshot()) == before
        assert registry.reconcile([], [1], set()).assignment == {1: "IOM-000004"}
        assert "run-2" not in {e["run_id"] for e in registry.events()}
        _commit(registry, "run-3", registry.reconcile([], [1], set()))
        assert sorted(p.name for p in registry.snapshots.iterdir()) == [
            "run-1.parquet", "run-3.parquet"]  # fmt: skip


def test_a_missing_snapshot_stops_the_run_instead_of_renumbering(tmp_path: Path) -> None:
    with PersonRegistry(tmp_path / "registry.db") as registry:
        _first_run(registry)
        (registry.snapshots / "run-1.parquet").unlink()
        with pytest.raises(MatchingError, match="missing"):
            registry.assignment_snapshot()


def test_a_commit_on_a_registry_changed_meanwhile_is_refused(tmp_path: Path) -> None:
    with PersonRegistry(tmp_path / "registry.db") as first:
        _first_run(first)
        with PersonRegistry(tmp_path / "registry.db") as second:
            second.assignment_snapshot()
            _commit(first, "run-2", first.reconcile([], [1], set()))
            with pytest.raises(MatchingError, match="changed"):
                _commit(second, "run-3", second.reconcile([], [1], set()))
        assert first.assignment_snapshot() == first.snapshots / "run-2.parquet"


def test_a_bad_snapshot_or_run_id_is_refused(tmp_path: Path) -> None:
    with PersonRegistry(tmp_path / "registry.db") as registry:
        wrong = tmp_path / "wrong.parquet"
        pq.write_table(pa.table({"source": ["police"]}), wrong)
        with pytest.raises(MatchingError, match="columns"):
            registry.commit("run-1", registry.reconcile([], [1], set()), wrong, {}, "m1")
        with pytest.raises(MatchingError, match="run id"):
            snapshot_sql("../run")


def test_the_snapshot_keeps_absent_records_and_marks_what_changed() -> None:
    con = duckdb.connect()
    con.execute(f"CREATE TABLE previous AS {EMPTY_SNAPSHOT_SQL}")
    con.execute("""INSERT INTO previous VALUES
        ('police', 'same', 'IOM-000001', true, 'r1', 'r1'),
        ('police', 'moved', 'IOM-000002', true, 'r1', 'r1'),
        ('police', 'left', 'IOM-000003', true, 'r1', 'r1'),
        ('police', 'gone', 'IOM-000004', false, 'r1', 'r2'),
        ('police', 'back', 'IOM-000005', false, 'r1', 'r2')""")
    con.execute("""CREATE TABLE assignment AS SELECT * FROM (VALUES
        ('police', 'same', 'IOM-000001'), ('police', 'moved', 'IOM-000001'),
        ('police', 'back', 'IOM-000005'), ('health', 'new', 'IOM-000006'))
        AS t(source, source_record_id, person_id)""")
    rows = con.sql(snapshot_sql("r3") + " ORDER BY source_record_id").fetchall()
    assert rows == [
        ("police", "back", "IOM-000005", True, "r1", "r3"),
        ("police", "gone", "IOM-000004", False, "r1", "r2"),
        ("police", "left", "IOM-000003", False, "r1", "r3"),
        ("police", "moved", "IOM-000001", True, "r1", "r3"),
        ("health", "new", "IOM-000006", True, "r3", "r3"),
        ("police", "same", "IOM-000001", True, "r1", "r1"),
    ]
    con.execute(f"CREATE TABLE empty AS {EMPTY_SNAPSHOT_SQL}")
    assert [c[0] for c in con.sql("SELECT * FROM empty").description] == list(SNAPSHOT_COLUMNS)


def test_an_old_records_table_is_migrated_once_to_a_snapshot(tmp_path: Path) -> None:
    path = tmp_path / "registry.db"
    rows = [("police", f"P{n}", f"IOM-{n % 3 + 1:06d}", n % 2, "old-1", "old-2")
            for n in range(150_000)]  # fmt: skip
    with sqlite3.connect(path) as db:
        db.executescript("""
            CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
            CREATE TABLE records (
                source TEXT NOT NULL, source_record_id TEXT NOT NULL, person_id TEXT NOT NULL,
                present INTEGER NOT NULL, first_run TEXT NOT NULL, updated_run TEXT NOT NULL,
                PRIMARY KEY (source, source_record_id));
            INSERT INTO meta VALUES ('next_number', '4');
        """)
        db.executemany("INSERT INTO records VALUES (?, ?, ?, ?, ?, ?)", rows)
    db.close()
    with PersonRegistry(path) as registry:
        snapshot = registry.assignment_snapshot()
        assert snapshot == registry.snapshots / MIGRATED_SNAPSHOT
        table = pq.read_table(snapshot)
        assert tuple(table.schema.names) == SNAPSHOT_COLUMNS
        assert table.schema.field("present").type == pa.bool_()
        got = sorted(table.to_pylist(), key=lambda r: int(r["source_record_id"][1:]))
        assert [tuple(r.values()) for r in got] == [(*r[:3], bool(r[3]), *r[4:]) for r in rows]
        assert registry.reconcile([], [1], set()).assignment == {1: "IOM-000004"}
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT name FROM sqlite_master WHERE name='records'").fetchone() is None
    db.close()
    with PersonRegistry(path) as registry:  # opened again: nothing more to do
        assert registry.assignment_snapshot() == registry.snapshots / MIGRATED_SNAPSHOT
        assert pq.read_table(registry.assignment_snapshot()).num_rows == len(rows)
