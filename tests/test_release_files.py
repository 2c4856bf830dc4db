"""Release files are written and read back by the engine: CSV formulas neutralised and checked."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pyarrow.parquet as pq

from hub.run.release_files import csv_problems, write_view_files

VIEW = ("SELECT * FROM (VALUES ('b1', '=SUM(A1)', 3), ('a1', 'Plain, with a comma', NULL)) "
        "v(person_id, forename, score) ORDER BY person_id")  # fmt: skip
COLUMNS = [("person_id", "VARCHAR"), ("forename", "VARCHAR"), ("score", "INTEGER")]


def test_view_files_are_written_in_order_and_the_csv_passes_its_check(tmp_path: Path) -> None:
    con = duckdb.connect()
    parquet, text = write_view_files(con, VIEW, tmp_path, ["parquet", "csv"])

    assert pq.read_table(parquet).column("person_id").to_pylist() == ["a1", "b1"]
    lines = text.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "person_id,forename,score"
    assert lines[1] == 'a1,"Plain, with a comma",'
    assert lines[2] == "b1,'=SUM(A1),3"
    assert csv_problems(con, text, COLUMNS, 2) == []


def test_a_csv_left_unsafe_or_short_is_caught(tmp_path: Path) -> None:
    con = duckdb.connect()
    path = tmp_path / "view.csv"
    path.write_text("person_id,forename,score\na1,=SUM(A1),3\nb1,+44 1234,\n", encoding="utf-8")

    problems = csv_problems(con, path, COLUMNS, 3)

    assert "view.csv: 2 rows, 3 expected" in problems
    assert "view.csv: forename: 2 cell(s) could run as a formula" in problems
    path.write_text("person_id,surname,score\n", encoding="utf-8")
    assert csv_problems(con, path, COLUMNS, 0) == ["view.csv: columns differ from the view"]
