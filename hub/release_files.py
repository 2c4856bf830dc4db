"""The files of a release: the view (Parquet, CSV), checksums, the manifest, atomic placement.

A release is written into a hidden temporary folder next to its final place, synced to disk,
and renamed into place in one step: a recipient's folder only ever holds complete releases.
CSV cells that a spreadsheet would run as a formula (starting ``=``, ``+``, ``-``, ``@``, tab
or carriage return) are prefixed with a single quote (OWASP's advice on CSV injection).
"""

from __future__ import annotations

import datetime
import json
import os
import re
import shutil
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from connectors.files import fsync_path, sha256_file

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


def neutralise_formulas(table: pa.Table) -> pa.Table:
    """Prefix text cells a spreadsheet would treat as a formula with a single quote."""
    columns = []
    for column in table.columns:
        if pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
            risky = pc.fill_null(pc.match_substring_regex(column, FORMULA_START), False)
            column = pc.if_else(risky, pc.binary_join_element_wise("'", column, ""), column)
        columns.append(column)
    return pa.table(columns, names=table.column_names)


def sync_folder(folder: Path) -> None:
    """Flush every file in ``folder`` and the folder itself to disk."""
    for child in folder.iterdir():
        if child.is_file():
            fsync_path(child)
    fsync_path(folder)


def write_view_files(table: pa.Table, folder: Path, formats: list[str]) -> list[Path]:
    """Write the view in each format into ``folder``; return the files."""
    written = []
    if "parquet" in formats:
        path = folder / f"{VIEW_STEM}.parquet"
        pq.write_table(table, path, compression="zstd")
        written.append(path)
    if "csv" in formats:
        path = folder / f"{VIEW_STEM}.csv"
        pacsv.write_csv(neutralise_formulas(table), path)
        written.append(path)
    return written


def read_back(path: Path, schema: pa.Schema) -> pa.Table:
    """Read a written view file back (CSV as text columns, for checking)."""
    if path.suffix == ".parquet":
        return pq.read_table(path)
    options = pacsv.ConvertOptions(
        column_types={name: pa.string() for name in schema.names}, strings_can_be_null=False
    )
    return pacsv.read_csv(path, convert_options=options)


def csv_problems(path: Path, schema: pa.Schema, expected_rows: int) -> list[str]:
    """Problems with a written CSV: columns, row count, any cell left able to run a formula."""
    table = read_back(path, schema)
    problems = []
    if table.column_names != schema.names:
        problems.append(f"{path.name}: columns differ from the view")
    if table.num_rows != expected_rows:
        problems.append(f"{path.name}: {table.num_rows} rows, {expected_rows} expected")
    for name in schema.names:
        if not pa.types.is_string(schema.field(name).type) or name not in table.column_names:
            continue
        risky = pc.sum(pc.match_substring_regex(table.column(name), FORMULA_START)).as_py()
        if risky:
            problems.append(f"{path.name}: {name}: {risky} cell(s) could run as a formula")
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


def read_manifest(release: Path) -> dict[str, Any] | None:
    """A release's manifest, or None when there is none or it is unreadable."""
    try:
        document = json.loads((release / MANIFEST).read_text(encoding="utf-8"))
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
