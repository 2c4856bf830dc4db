"""Agreements that follow the IOM cohort: whose data a cohort-limited agreement covers.

An agreement's ``subjects: {cohort: [fixed, flex, free]}`` covers only the people in those strands
of the cohort on the day of the release (``include_candidates: true`` adds the people the cohort
rules last put forward in them). This layer does not know how the hub keeps the cohort: the hub
hands the people in as a :class:`CohortSubjects` and :func:`register_cohort` makes them a table
the view's SQL reads (:func:`cohort_sql`).
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

import pyarrow as pa

from schemas.sql import quote_identifier as ident
from schemas.sql import quote_literal as quote
from sharing_agreements.view import PERSON_ID

if TYPE_CHECKING:
    import duckdb

Strand = Literal["fixed", "flex", "free"]
COHORT_TABLE = "__cohort_subjects"


@dataclass(frozen=True, order=True)
class CohortScope:
    """A grant's cohort condition: the strands, and whether candidates count."""

    strands: tuple[str, ...]
    include_candidates: bool = False

    def __str__(self) -> str:
        who = "members or candidates" if self.include_candidates else "members"
        return f"cohort {who} ({', '.join(self.strands)})"


@dataclass(frozen=True)
class CohortSubjects:
    """The cohort on the day of a release: person id -> strand, for members and candidates."""

    as_of: datetime.date
    members: Mapping[str, str] = field(default_factory=dict)
    candidates: Mapping[str, str] = field(default_factory=dict)
    """As the cohort rules last listed them; a member is never also a candidate here."""

    def table(self) -> pa.Table:
        """One row per person: ``person_id``, ``strand``, ``status`` (member or candidate)."""
        rows = [(p, s, "member") for p, s in self.members.items()] + [
            (p, s, "candidate") for p, s in self.candidates.items() if p not in self.members
        ]
        return pa.table(
            {name: pa.array([row[n] for row in rows], pa.string())
             for n, name in enumerate(("person_id", "strand", "status"))}
        )  # fmt: skip

    def digest(self) -> list[list[str]]:
        """A sorted, JSON-ready form (for release fingerprints: a change makes a new release)."""
        return sorted([list(row.values()) for row in self.table().to_pylist()])


def register_cohort(con: duckdb.DuckDBPyConnection, cohort: CohortSubjects) -> None:
    """Make the cohort readable on ``con`` by :func:`cohort_sql` (replacing any earlier one)."""
    con.register("__cohort_given", cohort.table())
    try:
        con.execute(f"CREATE OR REPLACE TEMP TABLE {COHORT_TABLE} AS SELECT * FROM __cohort_given")
    finally:
        con.unregister("__cohort_given")


def cohort_sql(scope: CohortScope) -> str:
    """SQL true for people the scope covers (needs :func:`register_cohort` on the session)."""
    strands = ", ".join(quote(s) for s in scope.strands)
    statuses = "'member', 'candidate'" if scope.include_candidates else "'member'"
    return (
        f"{ident(PERSON_ID)} IN (SELECT person_id FROM {COHORT_TABLE} "
        f"WHERE strand IN ({strands}) AND status IN ({statuses}))"
    )
