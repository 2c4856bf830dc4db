"""Record ids a file repeats with different content: every copy is quarantined, none kept.

A partner's record id names one record. When a file gives the same id twice with the same
content, the copies are kept (they say one thing, and the count is reported). When the copies
differ (another name, another date of birth), the hub cannot know which is true, and keeping
one would be a guess: every row of that id moves from the staging file to the quarantine with
the reason ``source_record_id: repeated with different content``, and the run says how many.
Runs only when the file repeats an id, so a file without repeats costs nothing here.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from schemas.canonical import QUARANTINE_SCHEMA, arrow_schema
from schemas.mapping_sql import quote_identifier, quote_literal

CONFLICT_REASON = "source_record_id: repeated with different content"
STREAM_ROWS = 128 * 1024


@dataclass(frozen=True)
class RepeatedIds:
    """What quarantining conflicting repeats did."""

    conflicting_ids: int = 0
    """Distinct record ids whose copies differ."""
    rows_quarantined: int = 0
    """Rows of those ids moved to the quarantine."""


def quarantine_conflicting_repeats(
    con: duckdb.DuckDBPyConnection,
    staging_path: Path,
    quarantine_path: Path,
    *,
    record_id_column: str,
    open_staging: Callable[[Path, pa.Schema], pq.ParquetWriter],
    schema: pa.Schema | None = None,
) -> RepeatedIds:
    """Move every row of an id repeated with different content from staging to quarantine.

    ``open_staging`` opens a staging writer with ingest's settings; both files are rewritten
    beside themselves and moved into place. ``schema`` is the staging file's (a person
    record's unless given).
    """
    schema = schema or arrow_schema()
    content = ", ".join(quote_identifier(f.name) for f in schema if f.name != "row_number")
    staged = f"read_parquet({quote_literal(str(staging_path))})"
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE conflicting AS SELECT source_record_id FROM {staged} "
        f"GROUP BY source_record_id HAVING count(DISTINCT ({content})) > 1"
    )
    ((ids,),) = con.execute("SELECT count(*) FROM conflicting").fetchall()
    if not ids:
        con.execute("DROP TABLE conflicting")
        return RepeatedIds()
    moved = con.sql(
        f"SELECT source, extract_id, row_number, {quote_literal(record_id_column)} AS column, "
        f"{quote_literal(CONFLICT_REASON)} AS reason, to_json(s) AS raw_record "
        f"FROM {staged} s SEMI JOIN conflicting USING (source_record_id) ORDER BY row_number"
    ).to_arrow_table()
    quarantined = pa.concat_tables([pq.read_table(quarantine_path), moved.cast(QUARANTINE_SCHEMA)])
    _replace(quarantine_path, lambda path: pq.write_table(quarantined, path, compression="zstd"))

    def keep_the_rest(path: Path) -> None:
        kept = con.sql(
            f"SELECT * FROM {staged} ANTI JOIN conflicting USING (source_record_id) "
            "ORDER BY row_number"
        ).to_arrow_reader(STREAM_ROWS)
        with open_staging(path, schema) as writer:
            for batch in kept:
                writer.write_batch(batch.cast(schema))

    _replace(staging_path, keep_the_rest)
    con.execute("DROP TABLE conflicting")
    return RepeatedIds(int(ids), moved.num_rows)


def _replace(path: Path, write: Callable[[Path], None]) -> None:
    """Write a new version of ``path`` beside it, then move it into place."""
    rewritten = path.with_name(path.name + ".rewrite")
    try:
        write(rewritten)
        os.replace(rewritten, path)
    finally:
        rewritten.unlink(missing_ok=True)
