"""Checks a release must pass before it is published (the "audit" of write-audit-publish).

They read the release as written and compare it with the policy and the matched view: exactly
the allowed columns, a unique person id and the row count expected; then each column's treatment
checks its own part (:meth:`~sharing_agreements.treatments.Treatment.release_counts` and
:meth:`~sharing_agreements.treatments.Treatment.release_problems`): the person id and every
pseudonymised column hold pseudonyms and no clear value, generalised columns nothing finer than
agreed. Problems name columns and counts, never values.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pyarrow as pa

from schemas.sql import quote_identifier as ident
from sharing_agreements.policy import RecipientPolicy
from sharing_agreements.treatments import PERSON_ID_TREATMENT, Treatment, WrittenColumn
from sharing_agreements.view import PERSON_ID

if TYPE_CHECKING:
    import duckdb

RELEASE_UNDER_CHECK = "release_under_check"


def check_release(
    con: duckdb.DuckDBPyConnection,
    release: pa.Table | str,
    policy: RecipientPolicy,
    persons: str,
    expected_rows: int,
) -> list[str]:
    """Problems with a written release; an empty list means it may be published.

    ``release`` is an Arrow table or a relation the engine reads (e.g. ``read_parquet(...)``
    over the written file); every check runs in the engine, so memory stays bounded.
    """
    if isinstance(release, pa.Table):
        con.register(RELEASE_UNDER_CHECK, release)
        try:
            return _check(con, RELEASE_UNDER_CHECK, policy, persons, expected_rows)
        finally:
            con.unregister(RELEASE_UNDER_CHECK)
    return _check(con, release, policy, persons, expected_rows)


def _check(
    con: duckdb.DuckDBPyConnection,
    release: str,
    policy: RecipientPolicy,
    persons: str,
    expected_rows: int,
) -> list[str]:
    problems: list[str] = []
    described = con.sql(f"DESCRIBE SELECT * FROM {release}").fetchall()
    names = [row[0] for row in described]
    types = {row[0]: str(row[1]) for row in described}
    if names != policy.column_names:
        extra = sorted(set(names) - set(policy.column_names))
        absent = sorted(set(policy.column_names) - set(names))
        problems.append(
            f"columns differ from the agreements: not allowed {extra or 'none'}, "
            f"missing {absent or 'none'}"
        )
        return problems
    treatments: dict[str, Treatment] = {PERSON_ID: PERSON_ID_TREATMENT}
    treatments |= {rule.field: rule.treatment for rule in policy.columns}
    columns = [
        WrittenColumn(con, release, persons, name, types[name], treatments) for name in treatments
    ]
    counts = [treatments[column.field].release_counts(column) for column in columns]
    person = ident(PERSON_ID)
    aggregates = ["count(*)", f"count(*) - count({person})", f"count(DISTINCT {person})"]
    aggregates += [count.sql for own in counts for count in own]
    ((rows, empty, distinct, *found),) = con.sql(
        f"SELECT {', '.join(aggregates)} FROM {release}"
    ).fetchall()
    if rows != expected_rows:
        problems.append(f"{rows} rows written, {expected_rows} expected")
    if empty:
        problems.append(f"person_id: {empty} empty")
    if distinct + (1 if empty else 0) != rows:
        problems.append("person_id: not unique")
    results = iter(found)
    for column, own in zip(columns, counts, strict=True):
        for count in own:
            if number := next(results):
                problems.append(f"{column.field}: {number} {count.problem}")
        problems += treatments[column.field].release_problems(column)
    return problems
