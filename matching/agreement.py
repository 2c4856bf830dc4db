"""How far two matching runs over the same records agree on who is who.

Used to compare engines (DuckDB and Spark, see docs/spark.md) and, generally, any two runs'
``record_links.parquet``. Person ids are not compared (they are numbered per registry): a
record *agrees* when the person it is in holds the same records in both runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from schemas.duckdb_session import DuckDBSettings, connect
from schemas.sql import quote_literal


@dataclass(frozen=True)
class DifferentPerson:
    """One person of the first run whose records the second run groups otherwise."""

    records_first: int
    """Records in the first run's person."""
    persons_second: int
    """How many people of the second run hold those records."""
    records_second: int
    """Records in those people of the second run (all of them, shared or not)."""


@dataclass(frozen=True)
class Agreement:
    """Records in both runs, those whose person holds the same records, and the differences."""

    records: int
    agreeing: int
    missing: int
    """Records in only one of the runs (counted as not agreeing)."""
    differences: tuple[DifferentPerson, ...]

    @property
    def share(self) -> float:
        """The share of records on which the runs agree (1.0 when both are empty)."""
        return self.agreeing / self.records if self.records else 1.0


def compare_record_links(
    first: Path, second: Path, *, settings: DuckDBSettings | None = None
) -> Agreement:
    """Compare two runs' ``record_links.parquet`` (source, source_record_id, person_id)."""
    con = connect(settings)
    try:
        for name, path in (("first_run", first), ("second_run", second)):
            con.execute(f"""
                CREATE TABLE {name} AS
                WITH links AS (
                    SELECT source || chr(31) || source_record_id AS record, person_id
                    FROM read_parquet({quote_literal(path)})
                ),
                groups AS (
                    SELECT person_id, hash(list(record ORDER BY record)) AS members,
                           count(*) AS size
                    FROM links GROUP BY person_id
                )
                SELECT l.record, l.person_id, g.members, g.size
                FROM links l JOIN groups g USING (person_id)
            """)  # fmt: skip
        records, agreeing, missing = con.execute("""
            SELECT count(*),
                   count(*) FILTER (WHERE a.members = b.members),
                   count(*) FILTER (WHERE a.record IS NULL OR b.record IS NULL)
            FROM first_run a FULL JOIN second_run b USING (record)
        """).fetchone() or (0, 0, 0)  # fmt: skip
        rows = con.execute("""
            WITH pairs AS (
                SELECT DISTINCT a.person_id AS first_id, a.size AS first_size,
                       b.person_id AS second_id, b.size AS second_size
                FROM first_run a JOIN second_run b USING (record)
                WHERE a.members <> b.members
            )
            SELECT any_value(first_size), count(*), sum(second_size)
            FROM pairs GROUP BY first_id ORDER BY 1 DESC, 2 DESC, 3 DESC
        """).fetchall()  # fmt: skip
    finally:
        con.close()
    differences = tuple(DifferentPerson(int(a), int(b), int(c)) for a, b, c in rows)
    return Agreement(int(records), int(agreeing), int(missing), differences)
