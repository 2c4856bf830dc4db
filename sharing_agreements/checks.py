"""Checks a release must pass before it is published (the "audit" of write-audit-publish).

They read the release as written and compare it with the policy and the matched view: exactly
the allowed columns; a pseudonymous, unique person id that is no internal id; no clear value in
a column the agreement pseudonymises; generalised columns no finer than agreed; the row count
expected. Problems name columns and counts, never values.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pyarrow as pa
import pyarrow.compute as pc

from sharing_agreements.model import Generalisation, TreatmentKind
from sharing_agreements.policy import RecipientPolicy
from sharing_agreements.pseudonyms import PSEUDONYM_PATTERN
from sharing_agreements.view import PERSON_ID
from sharing_agreements.view_builder import canonical_sql, ident, pseudonym_input_sql

if TYPE_CHECKING:
    import duckdb

GENERALISED_PATTERNS: dict[Generalisation, str] = {
    Generalisation.MONTH: r"^\d{4}-\d{2}$",
    Generalisation.FIVE_YEAR_BAND: r"^\d{4}-\d{4}$",
    Generalisation.DISTRICT: r"^[A-Z]{1,2}\d[A-Z\d]?$",
    Generalisation.SECTOR: r"^[A-Z]{1,2}\d[A-Z\d]? \d$",
}


def _count_not_matching(column: pa.ChunkedArray, pattern: str) -> int:
    text = pc.cast(column, pa.string())
    matches = pc.match_substring_regex(text, pattern)
    return int(pc.sum(pc.invert(pc.fill_null(matches, True))).as_py() or 0)


def _clear_forms_sql(field: str, persons: str) -> str:
    """Every clear form of a field's values in the matched view (as written and normalised)."""
    forms = [f"CAST({ident(field)} AS VARCHAR)", pseudonym_input_sql(field)]
    if field != PERSON_ID and (canonical := canonical_sql(field)):
        forms.append(canonical)
    return " UNION ".join(f"SELECT {form} AS v FROM {persons}" for form in forms)


def check_release(
    con: duckdb.DuckDBPyConnection,
    release: pa.Table,
    policy: RecipientPolicy,
    persons: str,
    expected_rows: int,
) -> list[str]:
    """Problems with a written release; an empty list means it may be published."""
    problems: list[str] = []
    if release.column_names != policy.column_names:
        extra = sorted(set(release.column_names) - set(policy.column_names))
        absent = sorted(set(policy.column_names) - set(release.column_names))
        problems.append(
            f"columns differ from the agreements: not allowed {extra or 'none'}, "
            f"missing {absent or 'none'}"
        )
        return problems
    if release.num_rows != expected_rows:
        problems.append(f"{release.num_rows} rows written, {expected_rows} expected")
    ids = release.column(PERSON_ID)
    if ids.null_count:
        problems.append(f"person_id: {ids.null_count} empty")
    if len(pc.unique(ids)) != release.num_rows:
        problems.append("person_id: not unique")
    con.register("release_under_check", release)
    try:
        pseudonymised = [PERSON_ID] + [
            r.field for r in policy.columns if r.treatment.kind is TreatmentKind.PSEUDONYMISE
        ]
        for name in pseudonymised:
            if bad := _count_not_matching(release.column(name), PSEUDONYM_PATTERN):
                problems.append(f"{name}: {bad} value(s) are not pseudonyms")
            ((clear,),) = con.sql(
                f"SELECT count(*) FROM release_under_check r JOIN "
                f"({_clear_forms_sql(name, persons)}) c ON r.{ident(name)} = c.v"
            ).fetchall()
            if clear:
                problems.append(
                    f"{name}: {clear} value(s) in clear where the agreement says pseudonymise"
                )
    finally:
        con.unregister("release_under_check")
    for rule in policy.columns:
        if rule.treatment.kind is not TreatmentKind.GENERALISE or rule.treatment.to is None:
            continue
        column = release.column(rule.field)
        if rule.treatment.to is Generalisation.YEAR:
            if not pa.types.is_integer(column.type):
                problems.append(f"{rule.field}: generalised to year but holds {column.type}")
            continue
        if not pa.types.is_string(column.type):
            problems.append(f"{rule.field}: generalised but holds {column.type}")
        elif bad := _count_not_matching(column, GENERALISED_PATTERNS[rule.treatment.to]):
            problems.append(f"{rule.field}: {bad} value(s) finer than {rule.treatment.to}")
    return problems
