"""Reading chosen records out of a file of records: the rows asked for, each once."""

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from hub.run.record_lookup import records_by_key, rows_where


def _records(path: Path) -> Path:
    table = pa.table({
        "source": ["police", "police", "health", "police"],
        "source_record_id": ["A1", "A2", "A1", "A1"],
        "person_id": ["P1", "P2", "P1", "P9"],
    })  # fmt: skip
    pq.write_table(table, path, row_group_size=2)
    return path


def test_the_rows_asked_for_are_read_and_unknown_keys_left_out(tmp_path: Path) -> None:
    path = _records(tmp_path / "links.parquet")
    found = records_by_key(path, [("health", "A1"), ("police", "A2"), ("housing", "A1")],
                           ["person_id"])  # fmt: skip
    assert {key: row["person_id"] for key, row in found.items()} == {
        ("health", "A1"): "P1", ("police", "A2"): "P2",
    }  # fmt: skip


def test_a_key_held_twice_gives_its_first_row(tmp_path: Path) -> None:
    path = _records(tmp_path / "links.parquet")
    assert (
        records_by_key(path, [("police", "A1")], ["person_id"])[("police", "A1")]["person_id"]
        == "P1"
    )
    assert records_by_key(path, [], ["person_id"]) == {}


def test_rows_where_a_column_has_a_value(tmp_path: Path) -> None:
    path = _records(tmp_path / "links.parquet")
    rows = rows_where(path, "person_id", "P1", ["source", "source_record_id"])
    assert sorted((r["source"], r["source_record_id"]) for r in rows) == [
        ("health", "A1"), ("police", "A1"),
    ]  # fmt: skip
