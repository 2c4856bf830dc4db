"""The treatment seam: what every treatment owns, and what the release check hands it.

A treatment is a frozen pydantic model whose fields are its options in the agreement (the keys
beside ``treatment:`` in a field's clause). It answers three things: whether it fits a field
(:meth:`Treatment.problem`), the SQL that turns the matched view's value into the released one
(:meth:`Treatment.value_sql`, :meth:`Treatment.released_sql`), and its part of the release check
(:meth:`Treatment.release_counts`, :meth:`Treatment.release_problems`).
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from pydantic import BaseModel, ConfigDict

from schemas.sql import quote_identifier as ident
from schemas.sql import quote_literal as quote

if TYPE_CHECKING:
    import duckdb

    from sharing_agreements.pseudonyms import PseudonymKey


@dataclass(frozen=True)
class WrittenColumn:
    """One column of a written release under check, and what to compare it with."""

    con: duckdb.DuckDBPyConnection
    release: str
    """The relation the engine reads the release from."""
    persons: str
    """The matched view the release was built from."""
    field: str
    type: str
    """The engine type the column was written with."""
    columns: Mapping[str, Treatment]
    """Every column of the release and its treatment (person_id first)."""


@dataclass(frozen=True)
class Count:
    """An aggregate over the release that must come to zero, and what it counts."""

    sql: str
    problem: str
    """What the counted values are, e.g. ``value(s) are not pseudonyms``."""


def not_matching_sql(field: str, pattern: str) -> str:
    """A :class:`Count` aggregate: values of ``field`` (as text) that do not match ``pattern``."""
    column = f"CAST({ident(field)} AS VARCHAR)"
    return (
        f"count(*) FILTER (WHERE {column} IS NOT NULL AND "
        f"NOT regexp_matches({column}, {quote(pattern)}))"
    )


class Treatment(BaseModel):
    """What happens to a field's values on the way out (one subclass per treatment)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: ClassVar[str]
    """The word an agreement writes after ``treatment:``."""
    releases: ClassVar[bool] = True
    """Whether any value leaves under this treatment (False for ``drop``)."""
    pseudonymous: ClassVar[bool] = False
    """Whether the column holds pseudonyms (kept in the pseudonym map, re-identifiable)."""

    def __str__(self) -> str:
        """The name and its options, as manifests and decisions cite it (``generalise to year``)."""
        options = (f"{key} {value}" for key, value in self if value is not None)
        return " ".join([self.name, *options])

    # --- validation -----------------------------------------------------------------------------

    def problem(self, field: str) -> str | None:
        """Why this treatment cannot apply to ``field``, or None when it can."""
        return None

    # --- SQL ------------------------------------------------------------------------------------

    @property
    def reads_canonical_form(self) -> bool:
        """Whether :meth:`value_sql` reads an identifier's or postcode's canonical form."""
        return False

    @abstractmethod
    def value_sql(self, field: str, *, canonical: str | None = None) -> str:
        """SQL over the matched view for the value of ``field`` kept for a released row.

        ``canonical`` names a column already holding the field's canonical form (else it is
        computed where needed).
        """

    def released_sql(self, field: str, columns: Mapping[str, Treatment]) -> str:
        """SQL over the kept values (one row per person released) for the value as released.

        Runs only for the values and people released (pseudonyms are computed here).
        ``columns`` gives every column of the release its treatment, for a treatment that looks
        across columns (such as one suppressing values shared by too few people).
        """
        return ident(field)

    def suppressed_sql(self, field: str, columns: Mapping[str, Treatment]) -> str | None:
        """SQL over the kept values true where :meth:`released_sql` withholds a kept value
        (counted as suppressed), or None for a treatment that never does."""
        return None

    @property
    def group_size(self) -> int | None:
        """The least number of released people who must share the values of every column with
        a group size (k, for a k-anonymous release), or None."""
        return None

    def parameters(self, field: str, key: PseudonymKey) -> dict[str, bytes]:
        """Key material the SQL binds as parameters (never written into the SQL text)."""
        return {}

    # --- release check --------------------------------------------------------------------------

    def release_counts(self, column: WrittenColumn) -> list[Count]:
        """Counts over the written column that must be zero (computed in one pass with the
        release check's own)."""
        return []

    def release_problems(self, column: WrittenColumn) -> list[str]:
        """Problems found by looking at the column's type or by queries of its own (name
        columns and counts, never values)."""
        return []
