"""Person-id decisions for one run, columnar: the rules of :mod:`matching.registry` in SQL.

A nightly run reconciles every current cluster with the previous assignment: at a million
records, hundreds of thousands of clusters and persons. The decisions are made in an embedded
DuckDB over Arrow tables, never person by person in Python; only the events (merges, splits,
returns and retirements, which are few) come back as Python values.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import duckdb
import pyarrow as pa

from schemas.duckdb_session import DuckDBSettings, connect

ID_PREFIX = "IOM-"
ID_FORMAT = ID_PREFIX + "%06d"
"""A person id from its number; printf style, the same in DuckDB, SQLite and Python (``%``)."""
OVERLAP_SCHEMA = pa.schema(
    [("cluster_key", pa.int64()), ("person_id", pa.string()), ("shared", pa.int64())]
)
"""Per current cluster and previous person, the records they share."""

Event = tuple[str, str, list[str], int]
"""(kind, person id, related ids, records)."""


@dataclass
class Reconciliation:
    """What one reconciliation decided (:func:`decide`); nothing is written until a commit."""

    table: pa.Table
    """cluster_key (int64) -> person_id (string), one row per current cluster."""
    created: int = 0
    merges: int = 0
    splits: int = 0
    retired: int = 0
    returned: int = 0
    events: list[Event] = field(default_factory=list)
    first_created: int = 0
    """The number of the first new id; the ``created`` new ids are numbered on from it."""
    activated: list[str] = field(default_factory=list)
    """Kept ids, other than the new ones, that were not active before (returned, or merged
    away before)."""
    top_number: int = 0
    """The highest id number kept (0 when none)."""

    def created_ids(self) -> list[str]:
        """The new ids, in order (for small results)."""
        last = self.first_created + self.created
        return [ID_FORMAT % n for n in range(self.first_created, last)]

    @property
    def assignment(self) -> dict[int, str]:
        """cluster key -> person id, as a dict (for small results)."""
        return dict(zip(self.table.column(0).to_pylist(), self.table.column(1).to_pylist(),
                        strict=True))  # fmt: skip


def _id_number(column: str) -> str:
    """SQL for the number of a person id (ids that are not numbers sort last)."""
    return (
        f"coalesce(TRY_CAST(CASE WHEN starts_with({column}, '{ID_PREFIX}') "
        f"THEN substr({column}, {len(ID_PREFIX) + 1}) ELSE {column} END AS BIGINT), {1 << 62})"
    )


def decide(
    overlap: pa.Table, clusters: pa.Array | pa.ChunkedArray, *, active: pa.Array,
    retired_before: pa.Array, absent: pa.Array | None, next_number: int,
    session: DuckDBSettings | None = None,
) -> Reconciliation:  # fmt: skip
    """Decide each current cluster's person id.

    ``overlap`` (:data:`OVERLAP_SCHEMA`); ``clusters`` every current cluster key; ``active``
    the ids of persons active before this run, ``retired_before`` those retired; ``absent``
    the persons to retire unless kept (None: every active person with no record in
    ``overlap``). ``session`` bounds DuckDB (memory, spill folder) as the matching engine's
    settings do; the decisions run on one thread.
    """
    con = connect(replace(session or DuckDBSettings(), threads=1))
    try:
        con.register("overlap_in", overlap.cast(OVERLAP_SCHEMA))
        con.register("clusters_in", pa.table({"cluster_key": pa.chunked_array(
            [clusters] if isinstance(clusters, pa.Array) else clusters.chunks,
            pa.int64())}))  # fmt: skip
        con.register("active_in", pa.table({"person_id": pa.array(active, pa.string())}))
        con.register("retired_in", pa.table({"person_id": pa.array(retired_before, pa.string())}))
        if absent is None:
            con.execute("CREATE VIEW absent_in AS SELECT person_id FROM active_in "
                        "WHERE person_id NOT IN (SELECT person_id FROM overlap_in)")  # fmt: skip
        else:
            con.register("absent_in", pa.table({"person_id": pa.array(absent, pa.string())}))
        number = _id_number("person_id")
        con.execute(f"""
            CREATE TABLE claims AS
            WITH best AS (
                SELECT person_id, cluster_key, shared FROM overlap_in
                QUALIFY row_number() OVER (PARTITION BY person_id
                                           ORDER BY shared DESC, cluster_key) = 1
            )
            SELECT cluster_key, person_id, shared,
                row_number() OVER (PARTITION BY cluster_key
                                   ORDER BY shared DESC, {number}, person_id) AS place,
                count(*) OVER (PARTITION BY cluster_key) AS claimants,
                sum(shared) OVER (PARTITION BY cluster_key) AS claimed
            FROM best
        """)  # fmt: skip
        con.execute(f"""
            CREATE TABLE assignment AS
            SELECT cluster_key, person_id, false AS created FROM claims WHERE place = 1
            UNION ALL
            SELECT cluster_key,
                printf('{ID_FORMAT}', {int(next_number)} - 1
                       + row_number() OVER (ORDER BY cluster_key)) AS person_id,
                true AS created
            FROM (SELECT DISTINCT cluster_key FROM clusters_in
                  WHERE cluster_key NOT IN (SELECT cluster_key FROM claims))
        """)  # fmt: skip
        result = Reconciliation(con.sql("SELECT cluster_key, person_id FROM assignment "
                                 "ORDER BY cluster_key").to_arrow_table())  # fmt: skip
        result.created = _scalar(con, "SELECT count(*) FROM assignment WHERE created")
        result.first_created = int(next_number)
        result.top_number = _scalar(con, f"SELECT coalesce(max({number}), 0) FROM assignment")
        returned = con.execute("""
            SELECT person_id, shared FROM claims
            WHERE place = 1 AND person_id IN (SELECT person_id FROM retired_in)
            ORDER BY cluster_key
        """).fetchall()  # fmt: skip
        result.returned = len(returned)
        result.events += [("returned", person, [], int(shared)) for person, shared in returned]
        merged = con.execute("""
            SELECT list(person_id ORDER BY place)[1], list(person_id ORDER BY place)[2:],
                   any_value(claimed)
            FROM claims WHERE claimants > 1 GROUP BY cluster_key ORDER BY cluster_key
        """).fetchall()  # fmt: skip
        result.merges = len(merged)
        result.events += [("merged", kept, list(gone), int(n)) for kept, gone, n in merged]
        split = con.execute("""
            SELECT o.person_id,
                list_sort(list_distinct(list(a.person_id) FILTER (a.person_id <> o.person_id))),
                count(DISTINCT o.cluster_key)
            FROM overlap_in o JOIN assignment a USING (cluster_key)
            GROUP BY o.person_id HAVING count(DISTINCT o.cluster_key) > 1
            ORDER BY o.person_id
        """).fetchall()  # fmt: skip
        result.splits = len(split)
        result.events += [("split", person, list(parts), int(n)) for person, parts, n in split]
        retired = con.execute("""
            SELECT DISTINCT person_id FROM absent_in
            WHERE person_id NOT IN (SELECT person_id FROM assignment) ORDER BY person_id
        """).fetchall()  # fmt: skip
        result.retired = len(retired)
        result.events += [("retired", person, [], 0) for (person,) in retired]
        result.activated = [row[0] for row in con.execute("""
            SELECT person_id FROM assignment
            WHERE NOT created AND person_id NOT IN (SELECT person_id FROM active_in)
            ORDER BY person_id
        """).fetchall()]  # fmt: skip
        return result
    finally:
        con.close()


def _scalar(con: duckdb.DuckDBPyConnection, sql: str) -> int:
    row = con.execute(sql).fetchone()
    return int(row[0]) if row and row[0] is not None else 0
