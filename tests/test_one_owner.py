"""Each fact has one owner: DuckDB sessions, SQL quoting, SQLite writes and workspace paths.

The helpers are tried on real engines, and the packages are read to check that no module
opens, quotes or spells what its owner already does.
"""

from __future__ import annotations

import ast
import functools
import sqlite3
from pathlib import Path

import pytest

from hub.workspace import Workspace
from matching.outputs import MatchOutputs
from schemas.duckdb_session import DuckDBSettings, connect
from schemas.sql import literal_list, quote_identifier, quote_literal
from schemas.sqlite_store import open_database, transaction

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("schemas", "connectors", "matching", "sharing_agreements", "hub")


@functools.cache
def _sources() -> dict[str, str]:
    return {
        str(path.relative_to(ROOT)): path.read_text(encoding="utf-8")
        for package in PACKAGES
        for path in sorted((ROOT / package).rglob("*.py"))
    }


@functools.cache
def _string_constants() -> dict[str, set[str]]:
    """File -> the string constants in its code (comments aside)."""
    return {
        file: {node.value for node in ast.walk(ast.parse(source))
               if isinstance(node, ast.Constant) and isinstance(node.value, str)}
        for file, source in _sources().items()
    }  # fmt: skip


def _holders(text: str) -> list[str]:
    return sorted(name for name, source in _sources().items() if text in source)


def test_a_session_takes_its_limits(tmp_path: Path) -> None:
    spill = tmp_path / "spill"
    con = connect(DuckDBSettings(memory_limit="256MB", threads=1, spill_folder=spill))
    try:
        threads, folder, limit = con.execute(
            "SELECT current_setting('threads'), current_setting('temp_directory'), "
            "current_setting('memory_limit')"
        ).fetchall()[0]
    finally:
        con.close()
    assert threads == 1 and folder == str(spill) and spill.is_dir()
    assert str(limit).replace(" ", "").upper().startswith(("256", "244"))


def test_quoting_round_trips_through_the_engine(tmp_path: Path) -> None:
    awkward = tmp_path / "O'Brien's \"file\".parquet"
    column_name = quote_identifier('a "b"')
    con = connect()
    try:
        con.execute(f"COPY (SELECT 'x' AS {column_name}) TO {quote_literal(awkward)}")
        (column,) = con.sql(f"SELECT * FROM read_parquet({literal_list([awkward])})").columns
        ((value,),) = con.execute(f"SELECT {quote_literal(awkward)}").fetchall()
    finally:
        con.close()
    assert column == 'a "b"' and value == str(awkward)


def test_a_failed_write_leaves_nothing(tmp_path: Path) -> None:
    db = open_database(tmp_path / "x.db", "CREATE TABLE IF NOT EXISTS t (v INTEGER);")
    with transaction(db) as write:
        write.execute("INSERT INTO t VALUES (1)")
    with pytest.raises(sqlite3.IntegrityError), transaction(db) as write:
        write.execute("INSERT INTO t VALUES (2)")
        raise sqlite3.IntegrityError("stop")
    assert db.execute("SELECT v FROM t").fetchall() == [(1,)]
    db.close()


def test_matched_folder_is_where_matching_writes(tmp_path: Path) -> None:
    matched = Workspace(tmp_path).matched
    assert matched.files() == MatchOutputs(tmp_path / "matched").files()
    assert matched.registry.parent == matched.root == tmp_path / "matched"


@pytest.mark.parametrize(
    ("text", "owner"),
    [
        ("duckdb.connect(", "schemas/duckdb_session.py"),
        ("sqlite3.connect(", "schemas/sqlite_store.py"),
        ("BEGIN IMMEDIATE", "schemas/sqlite_store.py"),
        ("""replace("'", "''")""", "schemas/sql.py"),
        ("""replace('"', '""')""", "schemas/sql.py"),
        ("SET memory_limit", None),
        ("SET temp_directory", None),
    ],
)
def test_one_module_does_it(text: str, owner: str | None) -> None:
    assert _holders(text) == ([owner] if owner else [])


@pytest.mark.parametrize(
    ("name", "owner"),
    [
        ("matched", "hub/workspace.py"),
        ("registry.db", "hub/workspace.py"),
        ("state.db", "hub/workspace.py"),
        ("accounts.db", "hub/workspace.py"),
        ("run.lock", "hub/workspace.py"),
        ("decisions.json", "hub/workspace.py"),
        ("pseudonyms.sealed", "hub/workspace.py"),
        ("persons.parquet", "matching/outputs.py"),
        ("record_links.parquet", "matching/outputs.py"),
        ("review.parquet", "matching/outputs.py"),
        ("frame.parquet", "matching/outputs.py"),
        ("report.html", "matching/outputs.py"),
        ("run.json", "matching/outputs.py"),
    ],
)
def test_workspace_names_are_spelt_once(name: str, owner: str) -> None:
    spelt = sorted(file for file, constants in _string_constants().items()
                   if any(value.strip("/") == name for value in constants))  # fmt: skip
    assert spelt == [owner]
