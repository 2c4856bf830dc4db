"""Build one recipient's view from the unified person view, as its policy says, in DuckDB.

Each allowed column is ``CASE WHEN <a grant holds for this row> THEN <treated value> END``: a
value is released only if its ``F__source`` is a feed a grant covers, the person is among the
grant's subjects and the grant's conditions hold. Everything else is withheld (null) and counted
with the reason. The person id is replaced by the recipient's pseudonym; a person with no value
released is left out. Alongside the view comes the pseudonym map (pseudonym -> internal person
id), which stays inside the hub for re-identification.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pyarrow as pa

from schemas.identifiers import SQL_CANONICALISERS
from sharing_agreements.errors import PolicyError
from sharing_agreements.model import Generalisation, TreatmentKind
from sharing_agreements.policy import OUTSIDE_CONDITIONS, ColumnRule, Grant, RecipientPolicy
from sharing_agreements.pseudonyms import PseudonymKey, hmac_sql
from sharing_agreements.view import FIELD_KINDS, PERSON_ID, SOURCES, VIEW_FIELDS, source_column

if TYPE_CHECKING:
    import duckdb

INTERNAL_ID = "__internal_person_id"
NO_SOURCE = "no_source"


def quote(value: str) -> str:
    """A SQL string literal."""
    return "'" + value.replace("'", "''") + "'"


def ident(name: str) -> str:
    """A SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def canonical_sql(field: str) -> str | None:
    """SQL for the canonical form of an identifier or postcode field, or None."""
    builder = SQL_CANONICALISERS.get(field)
    return builder(f"CAST({ident(field)} AS VARCHAR)") if builder else None


def pseudonym_input_sql(field: str) -> str:
    """The text a field's value is pseudonymised as (canonical identifiers, trimmed upper text)."""
    column = ident(field)
    if field == PERSON_ID:
        return f"CAST({column} AS VARCHAR)"
    kind = FIELD_KINDS[field]
    if kind == "date":
        return f"strftime({column}, '%Y-%m-%d')"
    if kind in ("integer", "boolean"):
        return f"CAST({column} AS VARCHAR)"
    text = f"nullif(upper(trim(CAST({column} AS VARCHAR))), '')"
    canonical = canonical_sql(field)
    return f"coalesce({canonical}, {text})" if canonical else text


def generalise_sql(field: str, to: Generalisation) -> str:
    """SQL for a generalised value."""
    column = ident(field)
    if to is Generalisation.YEAR:
        return f"CAST(year({column}) AS INTEGER)"
    if to is Generalisation.MONTH:
        return f"strftime({column}, '%Y-%m')"
    if to is Generalisation.FIVE_YEAR_BAND:
        start = f"(year({column}) - year({column}) % 5)"
        return f"CAST({start} AS VARCHAR) || '-' || CAST({start} + 4 AS VARCHAR)"
    canonical = canonical_sql(field)
    if to is Generalisation.DISTRICT:
        return f"nullif(split_part({canonical}, ' ', 1), '')"
    return f"left({canonical}, len({canonical}) - 2)"


def treated_sql(rule: ColumnRule) -> str:
    """SQL for a column's treated value."""
    treatment = rule.treatment
    if treatment.kind is TreatmentKind.KEEP:
        return ident(rule.field)
    if treatment.kind is TreatmentKind.PSEUDONYMISE:
        return hmac_sql(pseudonym_input_sql(rule.field), f"inner_{rule.field}", "outer")
    if treatment.kind is TreatmentKind.GENERALISE and treatment.to is not None:
        return generalise_sql(rule.field, treatment.to)
    raise PolicyError(f"{rule.field}: no column is built for treatment {treatment}")


def grant_sql(field: str, grant: Grant) -> str:
    """SQL that is true for rows whose value of ``field`` the grant lets through."""
    feeds = ", ".join(quote(s) for s in grant.sources)
    terms = [f"{ident(source_column(field))} IN ({feeds})"]
    if grant.known_to is not None:
        listed = ", ".join(quote(s) for s in grant.known_to)
        terms.append(f"list_has_any({ident(SOURCES)}, [{listed}])")
    for name, values in grant.where:
        listed = ", ".join(quote(v) for v in values)
        terms.append(f"CAST({ident(name)} AS VARCHAR) IN ({listed})")
    return "(" + " AND ".join(terms) + ")"


def mask_sql(rule: ColumnRule | None) -> str:
    """SQL that is true when a row's value of the rule's field is released."""
    if rule is None or not rule.grants:
        return "FALSE"
    return "coalesce(" + " OR ".join(grant_sql(rule.field, g) for g in rule.grants) + ", FALSE)"


@dataclass(frozen=True)
class WithheldValues:
    """Values of one field from one feed that did not reach the recipient, and why."""

    field: str
    source: str
    count: int
    code: str
    reason: str


@dataclass(frozen=True)
class ViewResult:
    """A recipient's view, ready to write, and what was held back."""

    table: pa.Table
    pseudonym_map: pa.Table
    """field, pseudonym, person_id (internal): never leaves the hub."""
    withheld: tuple[WithheldValues, ...]
    released_values: int
    persons_in: int

    @property
    def persons_out(self) -> int:
        """People in the view."""
        return self.table.num_rows


def required_columns(policy: RecipientPolicy) -> set[str]:
    """Columns the matched view must have for this policy."""
    needed = {PERSON_ID, SOURCES}
    for rule in policy.columns:
        needed |= {rule.field, source_column(rule.field)}
        for grant in rule.grants:
            needed |= {name for name, _ in grant.where}
    return needed


def build_view(
    con: duckdb.DuckDBPyConnection, persons: str, policy: RecipientPolicy, key: PseudonymKey
) -> ViewResult:
    """Build the recipient's view from the relation named ``persons`` on ``con``."""
    present = set(con.sql(f"SELECT * FROM {persons} LIMIT 0").columns)
    missing = sorted(required_columns(policy) - present)
    if missing:
        raise PolicyError(
            f"the matched view lacks column(s) {', '.join(missing)}",
            hint="re-run matching; the view must follow the matched-view contract",
        )
    params: dict[str, bytes] = {}
    for rule in policy.columns:
        if rule.treatment.kind is TreatmentKind.PSEUDONYMISE:
            params[f"inner_{rule.field}"], params["outer"] = key.pads(rule.field)
    params["inner_person_id"], params["outer"] = key.pads(PERSON_ID)
    columns = [
        f"{ident(PERSON_ID)} AS {INTERNAL_ID}",
        f"{hmac_sql(pseudonym_input_sql(PERSON_ID), 'inner_person_id', 'outer')} AS person_id",
        *(
            f"CASE WHEN {mask_sql(r)} THEN {treated_sql(r)} END AS {ident(r.field)}"
            for r in policy.columns
        ),
    ]
    any_value = " OR ".join(f"{ident(r.field)} IS NOT NULL" for r in policy.columns) or "FALSE"
    con.execute("DROP TABLE IF EXISTS released")
    # Column expressions hold no key material: keys are bound as parameters.
    con.sql(
        f"CREATE TEMP TABLE released AS SELECT * FROM (SELECT {', '.join(columns)} "
        f"FROM {persons}) WHERE {any_value} ORDER BY person_id",
        params=params,
    )
    names = ", ".join(ident(n) for n in policy.column_names)
    table = con.sql(f"SELECT {names} FROM released ORDER BY person_id").to_arrow_table()
    pseudonymised = [PERSON_ID] + [
        r.field for r in policy.columns if r.treatment.kind is TreatmentKind.PSEUDONYMISE
    ]
    map_sql = " UNION ALL ".join(
        f"SELECT DISTINCT {quote(name)} AS field, {ident(name)} AS pseudonym, "
        f"CAST({INTERNAL_ID} AS VARCHAR) AS person_id FROM released "
        f"WHERE {ident(name)} IS NOT NULL"
        for name in pseudonymised
    )
    pseudonym_map = con.sql(f"{map_sql} ORDER BY field, pseudonym").to_arrow_table()
    withheld, released = _count_withheld(con, persons, present, policy)
    ((persons_in,),) = con.sql(f"SELECT count(*) FROM {persons}").fetchall()
    con.execute("DROP TABLE released")
    return ViewResult(table, pseudonym_map, withheld, released, int(persons_in))


def _count_withheld(
    con: duckdb.DuckDBPyConnection, persons: str, present: set[str], policy: RecipientPolicy
) -> tuple[tuple[WithheldValues, ...], int]:
    parts = []
    for name in VIEW_FIELDS:
        if name not in present or source_column(name) not in present:
            continue
        mask = mask_sql(policy.column(name))
        parts.append(
            f"SELECT {quote(name)} AS field, {ident(source_column(name))} AS source, "
            f"count(*) FILTER (WHERE {mask}) AS released, "
            f"count(*) FILTER (WHERE NOT {mask}) AS withheld "
            f"FROM {persons} WHERE {ident(name)} IS NOT NULL GROUP BY ALL"
        )
    if not parts:
        return (), 0
    rows = con.sql(" UNION ALL ".join(parts)).fetchall()
    withheld: list[WithheldValues] = []
    released_total = 0
    for field_name, source, released, held in sorted(rows, key=lambda r: (r[0], r[1] or "")):
        released_total += int(released)
        if not held:
            continue
        if source is None:
            withheld.append(
                WithheldValues(
                    field_name,
                    "",
                    int(held),
                    NO_SOURCE,
                    "the view does not say which feed it came from",
                )
            )
            continue
        decision = policy.decision(field_name, source)
        if decision.allowed:
            code, reason = OUTSIDE_CONDITIONS, "the person is outside the agreement's subjects "
            reason += "or conditions"
        else:
            code, reason = decision.code, decision.reason
        withheld.append(WithheldValues(field_name, source, int(held), code, reason))
    return tuple(withheld), released_total


def open_persons(
    con: duckdb.DuckDBPyConnection, source: Path | pa.Table, name: str = "persons"
) -> str:
    """Make the matched view available on ``con`` as ``name`` (a Parquet file or a table)."""
    if isinstance(source, pa.Table):
        con.register(name, source)
    else:
        con.execute(
            f"CREATE OR REPLACE VIEW {name} AS SELECT * FROM read_parquet({quote(str(source))})"
        )
    return name
