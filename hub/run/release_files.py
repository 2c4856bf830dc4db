"""The files of a release: the view (Parquet, CSV), checksums, the manifest, atomic placement.

A release is written into a hidden temporary folder next to its final place, synced to disk,
and renamed into place in one step: a recipient's folder only ever holds complete releases.
CSV cells that a spreadsheet would run as a formula (starting ``=``, ``+``, ``-``, ``@``, tab
or carriage return) are prefixed with a single quote (OWASP's advice on CSV injection). The
view's files are written and read back by DuckDB, so a release of any size stays within the
engine's memory limit.
"""

from __future__ import annotations

import csv
import datetime
import json
import os
import re
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any

from connectors.files import fsync_path, sha256_file
from schemas.sql import quote_identifier, quote_literal

if TYPE_CHECKING:
    import duckdb

VIEW_STEM = "view"
MANIFEST = "manifest.json"
TEMPORARY_PREFIX = ".tmp-"
FORMULA_START = r"^[=+\-@\t\r]"
_RELEASE_ID = re.compile(r"^\d{8}T\d{6}-\d{6}$")


def new_release_id(after: str | None = None) -> str:
    """A sortable release id from the UTC time (later than ``after`` when given)."""
    now = datetime.datetime.now(datetime.UTC)
    release_id = now.strftime("%Y%m%dT%H%M%S-%f")
    if after and release_id <= after:
        bumped = datetime.datetime.strptime(after, "%Y%m%dT%H%M%S-%f") + datetime.timedelta(
            microseconds=1
        )
        release_id = bumped.strftime("%Y%m%dT%H%M%S-%f")
    return release_id


def is_release_id(name: str) -> bool:
    """Whether a folder name is a release id."""
    return bool(_RELEASE_ID.match(name))


def neutralised_sql(column: str) -> str:
    """SQL for a text column with cells a spreadsheet would run as a formula prefixed by '."""
    quote = quote_literal("'")
    return (
        f"CASE WHEN regexp_matches({column}, '{FORMULA_START}') THEN {quote} || {column} "
        f"ELSE {column} END"
    )


def sync_folder(folder: Path) -> None:
    """Flush every file in ``folder`` and the folder itself to disk."""
    for child in folder.iterdir():
        if child.is_file():
            fsync_path(child)
    fsync_path(folder)


def write_view_files(
    con: duckdb.DuckDBPyConnection, view_sql: str, folder: Path, formats: list[str]
) -> list[Path]:
    """Write the result of ``view_sql`` in each format into ``folder``; return the files.

    The engine writes them (the view is never held in Python); CSV text cells that could run
    as a formula are neutralised.
    """
    written = []
    if "parquet" in formats:
        path = folder / f"{VIEW_STEM}.parquet"
        con.execute(
            f"COPY ({view_sql}) TO {quote_literal(path)} (FORMAT parquet, COMPRESSION zstd)"
        )
        written.append(path)
    if "csv" in formats:
        path = folder / f"{VIEW_STEM}.csv"
        columns = [
            f"{neutralised_sql(quote_identifier(name))} AS {quote_identifier(name)}"
            if kind == "VARCHAR" else quote_identifier(name)
            for name, kind, *_ in con.sql(f"DESCRIBE {view_sql}").fetchall()
        ]  # fmt: skip
        con.execute(f"COPY (SELECT {', '.join(columns)} FROM ({view_sql})) "
                    f"TO {quote_literal(path)} "
                    "(FORMAT csv, HEADER true, DELIMITER ',', QUOTE '\"')")  # fmt: skip
        written.append(path)
    return written


def csv_problems(
    con: duckdb.DuckDBPyConnection, path: Path, columns: list[tuple[str, str]], expected_rows: int
) -> list[str]:
    """Problems with a written CSV: columns, row count, any cell left able to run a formula.

    ``columns`` are the view's (name, engine type); the file is read back by the engine.
    """
    with path.open(newline="", encoding="utf-8") as handle:
        header = next(csv.reader(handle), [])
    names = [name for name, _ in columns]
    if header != names:
        return [f"{path.name}: columns differ from the view"]
    typed = "{" + ", ".join(f"{quote_literal(name)}: 'VARCHAR'" for name in names) + "}"
    source = (f"read_csv({quote_literal(path)}, header = true, auto_detect = false, delim = ',', "
              f"quote = '\"', escape = '\"', columns = {typed})")  # fmt: skip
    text = [name for name, kind in columns if kind == "VARCHAR"]
    counts = ["count(*)"] + [
        f"count(*) FILTER (WHERE regexp_matches({quote_identifier(name)}, '{FORMULA_START}'))"
        for name in text
    ]
    ((rows, *risky),) = con.sql(f"SELECT {', '.join(counts)} FROM {source}").fetchall()
    problems = []
    if rows != expected_rows:
        problems.append(f"{path.name}: {rows} rows, {expected_rows} expected")
    for name, count in zip(text, risky, strict=True):
        if count:
            problems.append(f"{path.name}: {name}: {count} cell(s) could run as a formula")
    return problems


def file_entry(path: Path, rows: int) -> dict[str, Any]:
    """A manifest entry for one file."""
    return {
        "name": path.name,
        "format": path.suffix.lstrip("."),
        "rows": rows,
        "bytes": path.stat().st_size,
        "sha256": sha256_file(path),
    }


def write_json(path: Path, document: dict[str, Any]) -> None:
    """Write a JSON document and flush it to disk."""
    path.write_text(json.dumps(document, indent=2, default=str) + "\n", encoding="utf-8")
    fsync_path(path)


def read_manifest(release: Path, name: str = MANIFEST) -> dict[str, Any] | None:
    """A release's manifest (``name`` in the folder ``release``), or None when there is none or
    it is unreadable."""
    try:
        document = json.loads((release / name).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return document if isinstance(document, dict) else None


def verify_release(release: Path) -> list[str]:
    """Problems with a placed release: a missing manifest, or a file whose checksum differs."""
    manifest = read_manifest(release)
    if manifest is None:
        return [f"{release.name}: no readable {MANIFEST}"]
    problems = []
    for entry in manifest.get("files", []):
        path = release / str(entry.get("name"))
        if not path.is_file():
            problems.append(f"{release.name}: {path.name} is missing")
        elif sha256_file(path) != entry.get("sha256"):
            problems.append(f"{release.name}: {path.name} does not match its checksum")
    return problems


def move_into_place(temporary: Path, final: Path) -> None:
    """Rename a finished folder into place in one step, and make the rename durable."""
    sync_folder(temporary)
    os.rename(temporary, final)
    fsync_path(final.parent)


def releases_in(folder: Path) -> list[Path]:
    """Placed releases in a delivery folder, oldest first."""
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.is_dir() and is_release_id(p.name))


def remove_leftovers(folder: Path) -> list[str]:
    """Delete temporary folders a killed run left behind; return their names."""
    removed = []
    if folder.is_dir():
        for child in folder.iterdir():
            if child.name.startswith(TEMPORARY_PREFIX) and child.is_dir():
                shutil.rmtree(child)
                removed.append(child.name)
    return removed
