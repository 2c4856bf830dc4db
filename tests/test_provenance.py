"""Provenance kept beside a release: one short row per person, the extracts in the file's
metadata; releases kept in the earlier one-row-per-value form still read back."""

from __future__ import annotations

import datetime
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from hub.run.provenance import Provenance, provenance_of, write_provenance

DELIVERED = datetime.datetime(2026, 11, 29, 6, 30, tzinfo=datetime.UTC)
EXTRACTS = pa.table({
    "feed": ["police", "housing"], "extract_id": ["e1", "e2"],
    "file": ["police_nominals_20261129.csv", "housing_tenancies_20261129.csv"],
    "delivered_at": pa.array([DELIVERED, DELIVERED], pa.timestamp("s", "UTC")),
})  # fmt: skip


def test_each_released_value_reads_back_with_its_feed_file_and_delivery(tmp_path: Path) -> None:
    con = duckdb.connect()
    con.execute("CREATE TABLE released AS SELECT * FROM (VALUES ('p2', 'police', NULL), "
                "('p1', 'police', 'housing')) t(person_id, surname, postcode)")  # fmt: skip
    path = tmp_path / "provenance.parquet"
    write_provenance(con, "SELECT * FROM released", EXTRACTS, path)
    assert pq.read_table(path).column("person_id").to_pylist() == ["p1", "p2"]
    police = Provenance("police", "police_nominals_20261129.csv", DELIVERED)
    housing = Provenance("housing", "housing_tenancies_20261129.csv", DELIVERED)
    assert provenance_of(con, path, "p1") == {"surname": police, "postcode": housing}
    assert provenance_of(con, path, "p2") == {"surname": police}
    assert provenance_of(con, path, "nobody") == {}


def test_a_release_kept_one_row_per_value_still_reads_back(tmp_path: Path) -> None:
    path = tmp_path / "provenance.parquet"
    pq.write_table(pa.table({
        "person_id": ["p1"], "field": ["surname"], "source": ["police"], "extract_id": ["e1"],
        "file": ["police_nominals_20261129.csv"],
        "delivered_at": pa.array([DELIVERED], pa.timestamp("s", "UTC")),
    }), path)  # fmt: skip
    found = provenance_of(duckdb.connect(), path, "p1")
    assert found == {"surname": Provenance("police", "police_nominals_20261129.csv", DELIVERED)}
