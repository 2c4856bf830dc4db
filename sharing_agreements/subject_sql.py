"""Whose data a grant covers, as SQL: people known to given feeds, people in the IOM cohort.

:func:`with_subject_columns` tests each distinct condition of a policy once per person, as a
column the view's masks then read (:mod:`sharing_agreements.view_builder`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from schemas.sql import quote_identifier as ident
from schemas.sql import quote_literal as quote
from sharing_agreements.cohort import CohortScope, cohort_sql
from sharing_agreements.view import SOURCES

if TYPE_CHECKING:
    from sharing_agreements.policy import RecipientPolicy

Subject = tuple[str, ...] | CohortScope
"""A grant's ``known_to`` feeds, or its cohort scope."""
Subjects = dict[Subject, str]
"""A subject condition -> the column holding whether the person meets it."""


def subjects_sql(known_to: tuple[str, ...]) -> str:
    """SQL true for people with a record from one of the ``known_to`` feeds."""
    listed = ", ".join(quote(s) for s in known_to)
    return f"list_has_any({ident(SOURCES)}, [{listed}])"


def subject_sql(subject: Subject) -> str:
    """SQL true for people meeting one subject condition."""
    return cohort_sql(subject) if isinstance(subject, CohortScope) else subjects_sql(subject)


def with_subject_columns(relation: str, policy: RecipientPolicy) -> tuple[str, Subjects]:
    """A SELECT over ``relation`` adding one column per distinct ``known_to`` and cohort scope
    of the policy's grants (tested once per person rather than once per field)."""
    distinct = dict.fromkeys(g.known_to for r in policy.columns for g in r.grants
                             if g.known_to is not None)  # fmt: skip
    subjects: Subjects = {known: f"__known_to_{n}" for n, known in enumerate(distinct)}
    scopes = dict.fromkeys(g.cohort for r in policy.columns for g in r.grants if g.cohort)
    subjects |= {scope: f"__in_cohort_{n}" for n, scope in enumerate(scopes)}
    if not subjects:
        return relation, subjects
    columns = ", ".join(f"{subject_sql(k)} AS {ident(c)}" for k, c in subjects.items())
    return f"(SELECT *, {columns} FROM {relation})", subjects
