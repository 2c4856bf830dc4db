"""Chosen records out of the hub's Parquet files of records (the standardised frame, the record
links, a staged extract), read with a filter: only the rows asked for are kept, so a page
showing two records does not load a file of millions into memory."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from matching.registry import RecordKey

KEY_COLUMNS = ("source", "source_record_id")
"""The columns naming a record in every file of records."""


def records_by_key(
    path: Path, keys: Sequence[RecordKey], columns: Sequence[str]
) -> dict[RecordKey, dict[str, Any]]:
    """The first row of ``path`` for each of ``keys`` that it holds (``columns`` and the key
    columns); a key the file does not hold is left out."""
    import pyarrow.parquet as pq

    if not keys:
        return {}
    wanted = list(dict.fromkeys([*KEY_COLUMNS, *columns]))
    either = [[("source", "=", source), ("source_record_id", "=", record)]
              for source, record in dict.fromkeys(keys)]  # fmt: skip
    found: dict[RecordKey, dict[str, Any]] = {}
    for row in pq.read_table(path, columns=wanted, filters=either).to_pylist():
        found.setdefault((row["source"], row["source_record_id"]), row)
    return found


def rows_where(path: Path, column: str, value: str, columns: Sequence[str]) -> list[dict[str, Any]]:
    """The rows of ``path`` whose ``column`` equals ``value`` (``columns`` only)."""
    import pyarrow.parquet as pq

    table = pq.read_table(path, columns=list(columns), filters=[(column, "=", value)])
    return table.to_pylist()
