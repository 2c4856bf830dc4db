"""Pseudonymise: the recipient's keyed pseudonym of a value (see :mod:`..pseudonyms`).

Identifiers are pseudonymised in their canonical form, other text trimmed and upper-cased, dates
as ``YYYY-MM-DD``. The release check finds any value that is not a pseudonym, and any value equal
to a clear form of the field somewhere in the matched view.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, ClassVar

from schemas.identifiers import SQL_PLANS
from schemas.sql import quote_identifier as ident
from sharing_agreements.pseudonyms import PSEUDONYM_PATTERN, hmac_sql
from sharing_agreements.treatments.base import Count, Treatment, WrittenColumn, not_matching_sql
from sharing_agreements.view import FIELD_KINDS, PERSON_ID
from sharing_agreements.view_builder import canonical_column, canonical_sql, with_canonical_columns

if TYPE_CHECKING:
    from sharing_agreements.pseudonyms import PseudonymKey

UNPSEUDONYMISABLE_KINDS = frozenset({"boolean", "sex"})
"""Kinds with so few values that a pseudonym would hide nothing."""


def pseudonym_input_sql(field: str, *, canonical: str | None = None) -> str:
    """The text a field's value is pseudonymised as (canonical identifiers, trimmed upper text).

    ``canonical`` names a column already holding the canonical form (else it is computed).
    """
    column = ident(field)
    if field == PERSON_ID:
        return f"CAST({column} AS VARCHAR)"
    kind = FIELD_KINDS[field]
    if kind == "date":
        return f"strftime({column}, '%Y-%m-%d')"
    if kind in ("integer", "boolean"):
        return f"CAST({column} AS VARCHAR)"
    text = f"nullif(upper(trim(CAST({column} AS VARCHAR))), '')"
    canonical_form = ident(canonical) if canonical else canonical_sql(field)
    return f"coalesce({canonical_form}, {text})" if canonical_form else text


def clear_forms_sql(field: str, persons: str) -> str:
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


class Pseudonymise(Treatment):
    """The recipient's keyed pseudonym of the value (32 hex digits)."""

    name: ClassVar[str] = "pseudonymise"
    pseudonymous: ClassVar[bool] = True

    def problem(self, field: str) -> str | None:
        """Flags and sex have too few values for a pseudonym to hide anything."""
        kind = FIELD_KINDS[field]
        if kind in UNPSEUDONYMISABLE_KINDS:
            return (
                f"a {kind} field has too few values for a pseudonym to hide anything; keep or drop"
            )
        return None

    @property
    def reads_canonical_form(self) -> bool:
        """Identifiers are pseudonymised in their canonical form."""
        return True

    def value_sql(self, field: str, *, canonical: str | None = None) -> str:
        """The text that is pseudonymised (the pseudonym itself comes on release)."""
        return pseudonym_input_sql(field, canonical=canonical)

    def released_sql(self, field: str, columns: Mapping[str, Treatment]) -> str:
        """The keyed pseudonym of the kept text."""
        return hmac_sql(ident(field), f"inner_{field}", "outer")

    def parameters(self, field: str, key: PseudonymKey) -> dict[str, bytes]:
        """The key's HMAC blocks for the field's domain."""
        inner, outer = key.pads(field)
        return {f"inner_{field}": inner, "outer": outer}

    def release_counts(self, column: WrittenColumn) -> list[Count]:
        """Every value is a pseudonym."""
        not_pseudonyms = not_matching_sql(column.field, PSEUDONYM_PATTERN)
        return [Count(not_pseudonyms, "value(s) are not pseudonyms")]

    def release_problems(self, column: WrittenColumn) -> list[str]:
        """No value equals a clear form of the field in the matched view."""
        ((clear,),) = column.con.sql(
            f"SELECT count(*) FROM {column.release} r "
            f"JOIN ({clear_forms_sql(column.field, column.persons)}) c "
            f"ON r.{ident(column.field)} = c.v"
        ).fetchall()
        if clear:
            return [
                f"{column.field}: {clear} value(s) in clear where the agreement says pseudonymise"
            ]
        return []
