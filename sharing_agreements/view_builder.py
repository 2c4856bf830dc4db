"""Build one recipient's view from the unified person view, as its policy says, in DuckDB.

Values are chosen per recipient first: a field takes the first of its group's candidates (the
matched view lists each feed's best record, best first) from a feed the recipient may see, so
whether a value is released never depends on records the recipient may not see (a missing value
must not reveal a source). Then each allowed column is
``CASE WHEN <a grant holds for this row> THEN <value> END``: a value is released only if its
``F__source`` is a feed a grant covers, the person is among the grant's subjects and the grant's
conditions hold. Everything else is withheld (null); the matched view's values that did not reach
the recipient are counted with the reason. The column's treatment
(:mod:`sharing_agreements.treatments`) gives the SQL for the value kept and for its released
form (a pseudonym is computed only for what is released); a treatment may withhold a kept value
across rows (k-anonymity), and :class:`KAnonymity` says how that came out. The person id is
replaced by the recipient's pseudonym; a person with no value released is left out.
Alongside the view come the pseudonym map (pseudonym -> internal person id), which stays inside
the hub for re-identification, and the provenance of each released value (pseudonym, field,
the feed it came from), which stays inside the hub for the person pages.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pyarrow as pa

from schemas.identifiers import SQL_CANONICALISERS, SQL_PLANS
from schemas.sql import quote_identifier as ident
from schemas.sql import quote_literal as quote
from sharing_agreements.cohort import CohortSubjects, register_cohort
from sharing_agreements.errors import PolicyError
from sharing_agreements.pseudonyms import PseudonymKey, hmac_sql
from sharing_agreements.subject_sql import Subjects, subject_sql, with_subject_columns
from sharing_agreements.view import (
    CANDIDATE_SOURCE,
    DERIVED_FIELDS,
    FIELD_GROUPS,
    KNOWN_TO,
    PERSON_ID,
    SOURCES,
    VIEW_FIELDS,
    candidates_column,
    source_column,
)

if TYPE_CHECKING:
    # Types only: the treatments, which the agreement model and the policy build on, take their
    # SQL helpers from here, so this module must not need either of them to load.
    import duckdb

    from sharing_agreements.policy import ColumnRule, Grant, RecipientPolicy

INTERNAL_ID = "__internal_person_id"
FROM_PREFIX = "__from_"
"""Internal columns: the feed each released value came from (never released)."""
SUPPRESSED = "__suppressed"
"""Internal column: whether a treatment suppressed one of the row's kept values."""
NO_SOURCE = "no_source"


def canonical_sql(field: str) -> str | None:
    """SQL for the canonical form of an identifier or postcode field, or None (one scalar
    expression: for small relations; bulk queries use :func:`with_canonical_columns`)."""
    builder = SQL_CANONICALISERS.get(field)
    return builder(f"CAST({ident(field)} AS VARCHAR)") if builder else None


def canonical_column(field: str) -> str:
    """The column :func:`with_canonical_columns` gives a field's canonical form in."""
    return f"__canonical_{field}"


def with_canonical_columns(relation: str, fields: list[str]) -> str:
    """A SELECT over ``relation`` adding :func:`canonical_column` for each identifier or
    postcode field in ``fields``, each step of the rule computed once per row (the inlined
    expression of :func:`canonical_sql` repeats its steps many times)."""
    levels: list[dict[str, str]] = []
    for name in dict.fromkeys(f for f in fields if f in SQL_PLANS):
        plan = SQL_PLANS[name](f"CAST({ident(name)} AS VARCHAR)", f"__c_{name}_")
        steps = [*plan.levels, {canonical_column(name): plan.result}]
        for depth, level in enumerate(steps):
            if depth == len(levels):
                levels.append({})
            levels[depth].update(level)
    query = f"SELECT * FROM {relation}"
    for level in levels:
        columns = ", ".join(
            f"{expression} AS {ident(alias)}" for alias, expression in level.items()
        )
        query = f"SELECT *, {columns} FROM ({query})"
    return f"({query})"


def grant_sql(
    field: str, grant: Grant, subjects: Subjects | None = None, source: str | None = None,
    *, screening: bool = False,
) -> str:  # fmt: skip
    """SQL that is true for rows whose value of ``field`` the grant lets through
    (``subjects`` as given by :func:`with_subject_columns`, else tested inline; ``source`` is
    the expression naming the value's feed, ``F__source`` unless given). ``screening`` sets
    the cohort condition aside: the cohort rules read as the recipient would if the person
    were in the cohort, to decide who is put to the panel."""
    feeds = ", ".join(quote(s) for s in grant.sources)
    terms = [f"{source or ident(source_column(field))} IN ({feeds})"]
    return "(" + " AND ".join([*terms, *_condition_terms(grant, subjects, screening)]) + ")"


def _condition_terms(grant: Grant, subjects: Subjects | None, screening: bool = False) -> list[str]:
    """SQL terms for the grant's subjects and conditions (what must hold besides the feed;
    ``screening`` as in :func:`grant_sql`)."""
    terms = []
    conditions = [grant.known_to, None if screening else grant.cohort]
    for subject in (c for c in conditions if c is not None):
        column = (subjects or {}).get(subject)
        terms.append(ident(column) if column else subject_sql(subject))
    for name, values in grant.where:
        listed = ", ".join(quote(v) for v in values)
        terms.append(f"CAST({ident(name)} AS VARCHAR) IN ({listed})")
    return terms


def known_to_sql(rule: ColumnRule, subjects: Subjects | None = None) -> str:
    """SQL for the derived ``known_to``: the person's feeds (``sources``) that a grant whose
    subjects and conditions hold lists, sorted; null when there is none."""
    empty = "CAST([] AS VARCHAR[])"
    parts = []
    for grant in rule.grants:
        feeds = ", ".join(quote(s) for s in grant.sources)
        condition = " AND ".join(_condition_terms(grant, subjects)) or "TRUE"
        parts.append(f"CASE WHEN coalesce({condition}, FALSE) THEN "
                     f"list_intersect({ident(SOURCES)}, [{feeds}]) ELSE {empty} END")  # fmt: skip
    told = f"list_sort(list_distinct(flatten([{', '.join(parts) or empty}])))"
    return f"CASE WHEN len({told}) > 0 THEN {told} END"


def mask_sql(
    rule: ColumnRule | None, subjects: Subjects | None = None, source: str | None = None,
    *, screening: bool = False,
) -> str:  # fmt: skip
    """SQL that is true when a row's value of the rule's field is released (``source`` and
    ``screening`` as in :func:`grant_sql`)."""
    if rule is None or not rule.grants:
        return "FALSE"
    grants = " OR ".join(
        grant_sql(rule.field, g, subjects, source, screening=screening) for g in rule.grants
    )
    return f"coalesce({grants}, FALSE)"


def with_recipient_values(
    relation: str, policy: RecipientPolicy, present: set[str], subjects: Subjects
) -> str:
    """A SELECT over ``relation`` in which each allowed field ``F`` and ``F__source`` hold the
    first candidate of the field's group from a feed a grant lets through for this row (the
    matched view's own choice when its group has a single candidate)."""
    replaced = []
    for rule in policy.columns:
        if rule.field in DERIVED_FIELDS:
            continue
        listed = candidates_column(FIELD_GROUPS[rule.field])
        if listed not in present:
            continue
        allowed = mask_sql(rule, subjects, f"c.{CANDIDATE_SOURCE}")
        first = f"list_filter({ident(listed)}, lambda c: {allowed})[1]"
        for name, part in ((rule.field, rule.field), (source_column(rule.field), CANDIDATE_SOURCE)):
            replaced.append(
                f"CASE WHEN {ident(listed)} IS NULL THEN {ident(name)} "
                f"ELSE {first}.{ident(part)} END AS {ident(name)}"
            )
    if not replaced:
        return relation
    return f"(SELECT * REPLACE ({', '.join(replaced)}) FROM {relation})"


@dataclass(frozen=True)
class WithheldValues:
    """Values of one field from one feed that did not reach the recipient, and why."""

    field: str
    source: str
    count: int
    code: str
    reason: str


@dataclass(frozen=True)
class KAnonymity:
    """How k-anonymous a release is over its quasi-identifiers (the columns whose treatment
    asks for a least group size)."""

    quasi_identifiers: tuple[str, ...]
    k: int
    """The group size asked for (the largest of the columns' ``k``)."""
    achieved: int | None
    """The smallest group of released people sharing their quasi-identifiers (people whose
    quasi-identifiers are all withheld form no group); None when there is none."""
    suppressed: int
    """People whose quasi-identifiers were withheld because their group was smaller than k."""


@dataclass(frozen=True)
class ViewResult:
    """A recipient's view, held in a temporary table of the connection it was built on (read
    it with :meth:`table`, or write it with :meth:`view_sql`), and what was held back."""

    con: duckdb.DuckDBPyConnection = field(repr=False)
    relation: str
    """The temporary table holding the view (with the internal person id)."""
    columns: tuple[str, ...]
    pseudonymised: tuple[str, ...]
    """Columns holding pseudonyms (person_id first)."""
    rows: int
    withheld: tuple[WithheldValues, ...]
    released_values: int
    persons_in: int
    k_anonymity: KAnonymity | None = None

    @property
    def persons_out(self) -> int:
        """People in the view."""
        return self.rows

    def view_sql(self) -> str:
        """SQL for the view as released, ordered by pseudonym."""
        names = ", ".join(ident(n) for n in self.columns)
        return f"SELECT {names} FROM {self.relation} ORDER BY person_id"

    def pseudonym_map_sql(self) -> str:
        """SQL for the pseudonym map: field, pseudonym, person_id (internal; never leaves).

        The view has one row per person, so each (field, pseudonym, person) comes once.
        """
        return (
            " UNION ALL ".join(
                f"SELECT {quote(name)} AS field, {ident(name)} AS pseudonym, "
                f"CAST({INTERNAL_ID} AS VARCHAR) AS person_id FROM {self.relation} "
                f"WHERE {ident(name)} IS NOT NULL"
                for name in self.pseudonymised
            )
            + " ORDER BY field, pseudonym"
        )

    def provenance_sql(self) -> str:
        """SQL for the provenance of every released value: one row per person, ``person_id``
        (the pseudonym), then per released field the feed its value came from (null where the
        value is); internal, like the pseudonym map. Rows come in no particular order."""
        fields = [
            f"CASE WHEN {ident(name)} IS NOT NULL THEN {ident(FROM_PREFIX + name)} END "
            f"AS {ident(name)}"
            for name in self.columns
            if name != PERSON_ID
        ]
        return f"SELECT person_id, {', '.join(fields)} FROM {self.relation}"

    @property
    def table(self) -> pa.Table:
        """The view as Arrow (read from the engine: for small views and tests)."""
        return self.con.sql(self.view_sql()).to_arrow_table()

    @property
    def pseudonym_map(self) -> pa.Table:
        """The pseudonym map as Arrow (read from the engine)."""
        return self.con.sql(self.pseudonym_map_sql()).to_arrow_table()

    def drop(self) -> None:
        """Drop the temporary table."""
        self.con.execute(f"DROP TABLE IF EXISTS {self.relation}")


def required_columns(policy: RecipientPolicy) -> set[str]:
    """Columns the matched view must have for this policy."""
    needed = {PERSON_ID, SOURCES}
    for rule in policy.columns:
        if rule.field not in DERIVED_FIELDS:
            needed |= {rule.field, source_column(rule.field)}
        for grant in rule.grants:
            needed |= {name for name, _ in grant.where}
    return needed


def build_view(
    con: duckdb.DuckDBPyConnection, persons: str, policy: RecipientPolicy, key: PseudonymKey,
    cohort: CohortSubjects | None = None,
) -> ViewResult:  # fmt: skip
    """Build the recipient's view from the relation named ``persons`` on ``con``.

    The view stays in a temporary table on ``con`` (see :class:`ViewResult`). Values are masked
    and filtered first; pseudonyms are computed only for the values and people released. A
    policy that follows the cohort needs the ``cohort`` on the day of the release.
    """
    if policy.follows_cohort:
        if cohort is None:
            raise PolicyError(
                f"an agreement limits what {policy.recipient} receives to the IOM cohort, and "
                "no cohort membership was given",
                hint="publish through `iomhub run` or `iomhub publish`, which read cohort.db",
            )
        register_cohort(con, cohort)
    present = set(con.sql(f"SELECT * FROM {persons} LIMIT 0").columns)
    missing = sorted(required_columns(policy) - present)
    if missing:
        raise PolicyError(
            f"the matched view lacks column(s) {', '.join(missing)}",
            hint="re-run matching; the view must follow the matched-view contract",
        )
    params: dict[str, bytes] = {}
    for rule in policy.columns:
        params |= rule.treatment.parameters(rule.field, key)
    params["inner_person_id"], params["outer"] = key.pads(PERSON_ID)
    canonical = [r.field for r in policy.columns
                 if r.field in SQL_PLANS and r.treatment.reads_canonical_form]  # fmt: skip
    pseudonymised = [r.field for r in policy.columns if r.treatment.pseudonymous]
    treatments = {r.field: r.treatment for r in policy.columns}

    def kept(rule: ColumnRule) -> str:
        if rule.field == KNOWN_TO:
            return f"{known_to_sql(rule, subjects)} AS {ident(rule.field)}"
        form = canonical_column(rule.field) if rule.field in canonical else None
        value = rule.treatment.value_sql(rule.field, canonical=form)
        return f"CASE WHEN {mask_sql(rule, subjects)} THEN {value} END AS {ident(rule.field)}"

    def came_from(rule: ColumnRule) -> str:
        source = (
            "CAST(NULL AS VARCHAR)"
            if rule.field in DERIVED_FIELDS
            else (
                f"CASE WHEN {mask_sql(rule, subjects)} THEN {ident(source_column(rule.field))} END"
            )
        )
        return f"{source} AS {ident(FROM_PREFIX + rule.field)}"

    chosen, subjects = with_subject_columns(persons, policy)
    chosen = with_recipient_values(chosen, policy, present, subjects)
    source = with_canonical_columns(chosen, canonical)
    masked = ", ".join([
        f"{ident(PERSON_ID)} AS {INTERNAL_ID}",
        *(kept(r) for r in policy.columns),
        *(came_from(r) for r in policy.columns),
    ])  # fmt: skip
    any_value = " OR ".join(f"{ident(r.field)} IS NOT NULL" for r in policy.columns) or "FALSE"
    released = ", ".join([
        INTERNAL_ID,
        hmac_sql(f"CAST({INTERNAL_ID} AS VARCHAR)", "inner_person_id", "outer") + " AS person_id",
        *(f"{r.treatment.released_sql(r.field, treatments)} AS {ident(r.field)}"
          for r in policy.columns),
        *(ident(FROM_PREFIX + r.field) for r in policy.columns),
    ])  # fmt: skip
    suppressions = [s for r in policy.columns
                    if (s := r.treatment.suppressed_sql(r.field, treatments))]  # fmt: skip
    if suppressions:
        released += f", {' OR '.join(suppressions)} AS {SUPPRESSED}"
    relation = f"released_{secrets.token_hex(4)}"
    # Column expressions hold no key material: keys are bound as parameters.
    # Materialised so that each masked value is computed once (else the filter inlines them).
    # Unsorted: the release is written in pseudonym order by view_sql().
    con.sql(
        f"CREATE TEMP TABLE {relation} AS WITH masked AS MATERIALIZED (SELECT {masked} "
        f"FROM {source}) SELECT {released} FROM masked "
        f"WHERE {any_value}",
        params=params,
    )
    counts = ["count(*)", *(f"count({ident(r.field)})" for r in policy.columns)]
    ((rows, *values),) = con.sql(f"SELECT {', '.join(counts)} FROM {relation}").fetchall()
    withheld = _count_withheld(con, persons, present, policy)
    ((persons_in,),) = con.sql(f"SELECT count(*) FROM {persons}").fetchall()
    return ViewResult(con, relation, tuple(policy.column_names), (PERSON_ID, *pseudonymised),
                      int(rows), withheld, sum(values), int(persons_in),
                      _k_anonymity(con, relation, policy))  # fmt: skip


def _k_anonymity(
    con: duckdb.DuckDBPyConnection, relation: str, policy: RecipientPolicy
) -> KAnonymity | None:
    sizes = {r.field: size for r in policy.columns if (size := r.treatment.group_size)}
    if not sizes:
        return None
    names = ", ".join(ident(n) for n in sizes)
    any_value = " OR ".join(f"{ident(n)} IS NOT NULL" for n in sizes)
    ((achieved,),) = con.sql(
        f"SELECT min(n) FROM (SELECT count(*) AS n FROM {relation} WHERE {any_value} "
        f"GROUP BY {names})"
    ).fetchall()
    ((suppressed,),) = con.sql(
        f"SELECT count(*) FILTER (WHERE {SUPPRESSED}) FROM {relation}"
    ).fetchall()
    return KAnonymity(tuple(sizes), max(sizes.values()), achieved, int(suppressed))


def _count_withheld(
    con: duckdb.DuckDBPyConnection, persons: str, present: set[str], policy: RecipientPolicy
) -> tuple[WithheldValues, ...]:
    """The matched view's values that did not reach the recipient, by field, feed and reason
    (a value from another feed may have been released in a withheld one's place)."""
    source, subjects = with_subject_columns(persons, policy)
    parts = []
    for name in VIEW_FIELDS:
        if name not in present or source_column(name) not in present:
            continue
        mask = mask_sql(policy.column(name), subjects)
        parts.append(
            f"SELECT {quote(name)} AS field, {ident(source_column(name))} AS source, "
            f"count(*) FILTER (WHERE NOT {mask}) AS withheld "
            f"FROM counted WHERE {ident(name)} IS NOT NULL GROUP BY ALL"
        )
    if not parts:
        return ()
    rows = con.sql(
        f"WITH counted AS MATERIALIZED (SELECT * FROM {source}) " + " UNION ALL ".join(parts)
    ).fetchall()
    withheld: list[WithheldValues] = []
    for field_name, source, held in sorted(rows, key=lambda r: (r[0], r[1] or "")):
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
        code, reason = policy.withheld_because(field_name, source)
        withheld.append(WithheldValues(field_name, source, int(held), code, reason))
    return tuple(withheld)


def open_persons(
    con: duckdb.DuckDBPyConnection, source: Path | pa.Table, name: str = "persons", *,
    in_memory: bool = False,
) -> str:  # fmt: skip
    """Make the matched view available on ``con`` as ``name`` (a Parquet file or a table).

    ``in_memory`` reads the file once into a temporary table (for many queries over it; the
    engine's memory limit still applies and it spills to its temporary folder beyond it).
    """
    if isinstance(source, pa.Table):
        con.register(name, source)
    else:
        kind = "TEMP TABLE" if in_memory else "VIEW"
        con.execute(
            f"CREATE OR REPLACE {kind} {name} AS SELECT * FROM read_parquet({quote(source)})"
        )
    return name
