"""Rules that stop a link whatever the score: the classic false merges, written as SQL.

A pair the model scores highly is still *not* linked automatically (it goes to review) when:

- **identifier conflict**: both records carry a valid PNC ID, CRO number or NHS number, and
  they differ. One person has one of each; a mistyped one fails its check and is not evidence.
- **likely twins**: same surname, dates of birth that can be one day (equal, a day apart, or
  the same year where one gives the year only), and forenames that are not one name
  in any form (not equal, no common nickname root, not a typo of the other, not one letter
  added, dropped or swapped, not a short form, not the other's middle name, not swapped with
  the surname; see :func:`matching.relations.same_forename_in_any_form`); and no shared
  identifier.
- **different generation**: both dates of birth known and three or more years apart (and not
  one keying slip apart, such as ``1985`` typed ``1958``), with no shared identifier (a father
  and son of the same name at one address).
- **different dates of birth**: both full dates known and not one keying slip apart (see
  :func:`matching.relations.dates_one_slip_apart`), with no shared identifier, and not the
  same forename, surname and postcode (two slips in one person's date). As a link this
  rarely scores high; as a cannot-link it stops a record without a date of birth (a housing
  record with a name only) joining two same-named people born on different days.

The same rules are *cannot-link* constraints inside a cluster: two records that break one are
never put in one person by way of other records (see :mod:`matching.cluster`).
"""

from __future__ import annotations

from matching.relations import (
    Column,
    born_alike,
    dates_one_slip_apart,
    maybe_year_only,
    qualified,
    same_forename_in_any_form,
    suffixed,
    surname_agrees,
)

__all__ = [
    "cannot_link_sql",
    "guard_columns_sql",
    "qualified",
    "shared_identifier_sql",
    "suffixed",
]


def _both_differ(c: Column, column: str) -> str:
    return f"coalesce({c(column, 'l')} <> {c(column, 'r')}, false)"


def _agree(c: Column, column: str) -> str:
    return f"coalesce({c(column, 'l')} = {c(column, 'r')}, false)"


def identifier_agreement_sql(c: Column) -> str:
    """True when the two records share any valid identifier."""
    return "(" + " OR ".join(_agree(c, k) for k in ("pnc", "cro", "nhs", "crn", "nomis")) + ")"


def shared_identifier_sql(c: Column) -> str:
    """True when the two records share a valid PNC ID, CRO number or NHS number: records held
    together by one are never split by a reviewer's "same" on another pair."""
    return "(" + " OR ".join(_agree(c, k) for k in HOLDING_IDENTIFIERS) + ")"


HOLDING_IDENTIFIERS = ("pnc", "cro", "nhs")
"""Identifiers one person holds one of: a shared valid one holds two records together."""


def identifier_conflict_sql(c: Column) -> str:
    """True when both records carry a valid PNC, CRO or NHS number and they differ."""
    return "(" + " OR ".join(_both_differ(c, k) for k in ("pnc", "cro", "nhs")) + ")"


def twins_sql(c: Column) -> str:
    """True for the likely-twins pattern (see module docstring); never null.

    Written as CASE so that the forename tests (the costly part) run only for the pairs whose
    surname and date of birth already fit, and stop at the first that holds (DuckDB evaluates
    a CASE condition's AND and OR lazily; a value's, fully)."""
    same = same_forename_in_any_form(c)
    return (
        f"CASE WHEN {surname_agrees(c)} AND {born_alike(c)} "
        f"THEN (CASE WHEN {same} THEN false WHEN ({same}) IS NULL THEN false ELSE true END) "
        "ELSE false END"
    )


def generation_sql(c: Column, years: int = 3) -> str:
    """True when both birth years are known and ``years`` or more apart, unless the dates are
    one keying slip apart (``1985`` typed ``1958``: one transposition)."""
    slip = f"damerau_levenshtein({c('dob_text', 'l')}, {c('dob_text', 'r')}) <= 1"
    return (
        f"(coalesce(abs({c('birth_year', 'l')} - {c('birth_year', 'r')}) >= {years}, false) "
        f"AND NOT coalesce({slip}, false))"
    )


def dob_conflict_sql(c: Column) -> str:
    """True when both full dates of birth are known and not one keying slip apart (a 1 January
    in the same year as the other may be a year-only date: no conflict), unless the records
    give the same forename, surname and postcode (see :func:`same_name_and_postcode`)."""
    dl, dr = c("dob_full", "l"), c("dob_full", "r")
    return (
        f"({dl} IS NOT NULL AND {dr} IS NOT NULL AND NOT {dates_one_slip_apart(c)} "
        f"AND NOT {maybe_year_only(c)} AND NOT {same_name_and_postcode(c)})"
    )


def same_name_and_postcode(c: Column) -> str:
    """The same forename, surname and full postcode: dates of birth more than a slip apart are
    then two slips in one person's date (``2005-03-05`` and ``2007-03-04``), not two people;
    two people of one name at one address are a generation apart, which still stops them."""
    return "(" + " AND ".join(
        _agree(c, column) for column in ("forename_std", "surname_std", "postcode_std")
    ) + ")"  # fmt: skip


def guard_columns_sql(c: Column) -> str:
    """SELECT-list items: id_agree, id_conflict, twins, generation, dob_conflict and
    cannot_link."""
    agree = identifier_agreement_sql(c)
    conflict = identifier_conflict_sql(c)
    twins = f"(NOT {agree} AND {twins_sql(c)})"
    generation = f"(NOT {agree} AND {generation_sql(c)})"
    dob_conflict = f"(NOT {agree} AND NOT {generation_sql(c)} AND {dob_conflict_sql(c)})"
    return (
        f"{agree} AS id_agree, {conflict} AS id_conflict, {twins} AS twins, "
        f"{generation} AS generation, {dob_conflict} AS dob_conflict, "
        f"({conflict} OR {twins} OR {generation} OR {dob_conflict}) AS cannot_link"
    )


def cannot_link_sql(c: Column) -> str:
    """One boolean expression: the pair must not be in one person."""
    agree = identifier_agreement_sql(c)
    return (
        f"({identifier_conflict_sql(c)} OR (NOT {agree} AND ({twins_sql(c)} OR "
        f"{generation_sql(c)} OR {dob_conflict_sql(c)})))"
    )


GUARD_COLUMNS: tuple[str, ...] = (
    "id_agree", "id_conflict", "twins", "generation", "dob_conflict", "cannot_link",
)  # fmt: skip
