"""Where each released value came from: the partner's extract (file name, delivery date).

Publishing keeps, beside a release's pseudonym map, ``provenance.parquet`` in the release's
record folder (inside the workspace, never published): one row per released person with the
recipient's person id and, per released field, the feed its value came from; the file's
metadata names each feed's extract the match ran on (its id, file name and when it was
delivered), so a million people cost a million short rows. The view builder says which feed
each released value came from (:meth:`~sharing_agreements.view_builder.ViewResult.provenance_sql`);
the match run record names the extracts it matched. The person page reads it back by person.
"""

from __future__ import annotations

import datetime
import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pyarrow as pa
import pyarrow.parquet as pq

from hub.state import StateStore
from hub.workspace import Workspace
from schemas.sql import quote_literal

if TYPE_CHECKING:
    import duckdb

EXTRACTS_KEY = "iomhub.extracts"
"""The Parquet metadata key holding, per feed, the extract the release's values came from."""


@dataclass(frozen=True)
class Provenance:
    """Where one released value came from."""

    feed: str
    file: str | None
    """The partner's file name (None when the extract is no longer known)."""
    delivered_at: datetime.datetime | None
    """When the extract first landed at the hub."""


def matched_extracts(workspace: Workspace, state: StateStore) -> pa.Table:
    """The extracts the latest match ran on: feed, extract_id, file, delivered_at."""
    try:
        record = json.loads(workspace.matched.run_record.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        record = {}
    rows = [state.extract(str(extract_id)) for extract_id in record.get("extracts", [])]
    known = [row for row in rows if row is not None]
    return pa.table({
        "feed": pa.array([e.feed for e in known], pa.string()),
        "extract_id": pa.array([e.extract_id for e in known], pa.string()),
        "file": pa.array([e.name for e in known], pa.string()),
        "delivered_at": pa.array(
            [datetime.datetime.fromisoformat(e.landed_at) for e in known], pa.timestamp("s", "UTC")
        ),
    })  # fmt: skip


def write_provenance(
    con: duckdb.DuckDBPyConnection, provenance_sql: str, extracts: pa.Table, path: Path
) -> None:
    """Write the provenance of a release's values: one row per person, sorted by person id (the
    person page reads one), the feed of each field; the extracts ride in the file's metadata."""
    described = {
        feed: {"extract_id": extract_id, "file": file,
               "delivered_at": delivered.isoformat() if delivered else None}
        for feed, extract_id, file, delivered in zip(*extracts.to_pydict().values(), strict=True)
    }  # fmt: skip
    metadata = f"{quote_literal(EXTRACTS_KEY)}: {quote_literal(json.dumps(described))}"
    con.execute(
        f"COPY (SELECT * FROM ({provenance_sql}) ORDER BY person_id) TO {quote_literal(path)} "
        f"(FORMAT parquet, COMPRESSION zstd, KV_METADATA {{{metadata}}})"
    )


def provenance_of(
    con: duckdb.DuckDBPyConnection, path: Path, person_id: str
) -> dict[str, Provenance]:
    """Field -> where its released value came from, for one person of a release (empty for a
    release published before provenance was kept)."""
    if not path.exists():
        return {}
    footer = pq.read_metadata(path)
    names = footer.schema.to_arrow_schema().names
    if "field" in names:  # a release kept one row per value before
        rows = con.execute(
            "SELECT field, source, file, delivered_at FROM read_parquet(?) WHERE person_id = ?",
            [str(path), person_id],
        ).fetchall()
        return {str(f): Provenance(str(s), file, at) for f, s, file, at in rows if s is not None}
    found = con.execute(
        "SELECT * FROM read_parquet(?) WHERE person_id = ?", [str(path), person_id]
    ).fetchone()
    if found is None:
        return {}
    stored = (footer.metadata or {}).get(EXTRACTS_KEY.encode(), b"{}")
    extracts = json.loads(stored)
    origins = {}
    for name, feed in zip(names, found, strict=True):
        if name == "person_id" or feed is None:
            continue
        extract = extracts.get(feed) or {}
        delivered = extract.get("delivered_at")
        origins[name] = Provenance(str(feed), extract.get("file"),
                                   datetime.datetime.fromisoformat(delivered) if delivered
                                   else None)  # fmt: skip
    return origins
