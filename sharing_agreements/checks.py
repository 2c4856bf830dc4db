"""Checks a release must pass before it is published (the "audit" of write-audit-publish).

They read the release as written and compare it with the policy and the matched view: exactly
the allowed columns; a pseudonymous, unique person id that is no internal id; no clear value in
a column the agreement pseudonymises; generalised columns no finer than agreed; the row count
expected. Problems name columns and counts, never values.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pyarrow as pa

from schemas.identifiers import SQL_PLANS
from schemas.sql import quote_identifier as ident
from schemas.sql import quote_literal as quote
from sharing_agreements.model import Generalisation, TreatmentKind
from sharing_agreements.policy import RecipientPolicy
from sharing_agreements.pseudonyms import PSEUDONYM_PATTERN
from sharing_agreements.view import PERSON_ID
from sharing_agreements.view_builder import (
    canonical_column,
    pseudonym_input_sql,
    with_canonical_columns,
)

if TYPE_CHECKING:
    import duckdb

GENERALISED_PATTERNS: dict[Generalisation, str] = {
    Generalisation.MONTH: r"^\d{4}-\d{2}$",
    Generalisation.FIVE_YEAR_BAND: r"^\d{4}-\d{4}$",
    Generalisation.DISTRICT: r"^[A-Z]{1,2}\d[A-Z\d]?$",
    Generalisation.SECTOR: r"^[A-Z]{1,2}\d[A-Z\d]? \d$",
}


_INTEGER_TYPES = frozenset({"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT",
                            "USMALLINT", "UINTEGER", "UBIGINT", "UHUGEINT"})  # fmt: skip
RELEASE_UNDER_CHECK = "release_under_check"


def _clear_forms_sql(field: str, persons: str) -> str:
    """Every clear form of a field's values in the matched view (as written and normalised),
    from one pass over the view."""
    forms = [f"CAST({ident(field)} AS VARCHAR)"]
    source = persons
    if field != PERSON_ID and field in SQL_PLANS:
        source = with_canonical_columns(persons, [field])
        canonical = canonical_column(field)
        forms += [pseudonym_input_sql(field, canonical=canonical), ident(canonical)]
    elif field != PERSON_ID:
        forms.append(pseudonym_input_sql(field))
    return f"SELECT DISTINCT unnest([{', '.join(forms)}]) AS v FROM {source}"


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
    pseudonymised = [PERSON_ID] + [
        r.field for r in policy.columns if r.treatment.kind is TreatmentKind.PSEUDONYMISE
    ]
    patterned = [(rule.field, GENERALISED_PATTERNS[rule.treatment.to]) for rule in policy.columns
                 if rule.treatment.kind is TreatmentKind.GENERALISE and rule.treatment.to
                 not in (None, Generalisation.YEAR) and types[rule.field] == "VARCHAR"]  # fmt: skip
    person = ident(PERSON_ID)
    counts = ["count(*)", f"count(*) - count({person})", f"count(DISTINCT {person})"]
    counts += [_not_matching(name, PSEUDONYM_PATTERN) for name in pseudonymised]
    counts += [_not_matching(name, pattern) for name, pattern in patterned]
    ((rows, empty, distinct, *bad),) = con.sql(
        f"SELECT {', '.join(counts)} FROM {release}"
    ).fetchall()
    if rows != expected_rows:
        problems.append(f"{rows} rows written, {expected_rows} expected")
    if empty:
        problems.append(f"person_id: {empty} empty")
    if distinct + (1 if empty else 0) != rows:
        problems.append("person_id: not unique")
    for name, count in zip(pseudonymised, bad[: len(pseudonymised)], strict=True):
        if count:
            problems.append(f"{name}: {count} value(s) are not pseudonyms")
        ((clear,),) = con.sql(
            f"SELECT count(*) FROM {release} r JOIN ({_clear_forms_sql(name, persons)}) c "
            f"ON r.{ident(name)} = c.v"
        ).fetchall()
        if clear:
            problems.append(
                f"{name}: {clear} value(s) in clear where the agreement says pseudonymise"
            )
    finer = dict(zip((name for name, _ in patterned), bad[len(pseudonymised) :], strict=True))
    for rule in policy.columns:
        if rule.treatment.kind is not TreatmentKind.GENERALISE or rule.treatment.to is None:
            continue
        kind = types[rule.field]
        if rule.treatment.to is Generalisation.YEAR:
            if kind not in _INTEGER_TYPES:
                problems.append(f"{rule.field}: generalised to year but holds {kind}")
            continue
        if kind != "VARCHAR":
            problems.append(f"{rule.field}: generalised but holds {kind}")
        elif finer[rule.field]:
            problems.append(
                f"{rule.field}: {finer[rule.field]} value(s) finer than {rule.treatment.to}"
            )
    return problems


def _not_matching(name: str, pattern: str) -> str:
    column = f"CAST({ident(name)} AS VARCHAR)"
    return (
        f"count(*) FILTER (WHERE {column} IS NOT NULL AND "
        f"NOT regexp_matches({column}, {quote(pattern)}))"
    )
