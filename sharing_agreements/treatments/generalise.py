"""Generalise: a coarser value (a date's year, month or five-year band; a postcode's area,
district or sector). The release check holds each column to the shape of what it was generalised
to."""

from __future__ import annotations

import enum
from typing import Any, ClassVar

from pydantic import model_validator

from schemas.sql import quote_identifier as ident
from sharing_agreements.treatments.base import Count, Treatment, WrittenColumn, not_matching_sql
from sharing_agreements.view import FIELD_KINDS
from sharing_agreements.view_builder import canonical_sql


class Generalisation(enum.StrEnum):
    """How a value is made coarser."""

    YEAR = "year"
    MONTH = "month"
    FIVE_YEAR_BAND = "five_year_band"
    DISTRICT = "district"
    SECTOR = "sector"
    AREA = "area"


DATE_GENERALISATIONS = frozenset(
    {Generalisation.YEAR, Generalisation.MONTH, Generalisation.FIVE_YEAR_BAND}
)
POSTCODE_GENERALISATIONS = frozenset(
    {Generalisation.AREA, Generalisation.DISTRICT, Generalisation.SECTOR}
)
GENERALISED_PATTERNS: dict[Generalisation, str] = {
    Generalisation.MONTH: r"^\d{4}-\d{2}$",
    Generalisation.FIVE_YEAR_BAND: r"^\d{4}-\d{4}$",
    Generalisation.AREA: r"^[A-Z]{1,2}$",
    Generalisation.DISTRICT: r"^[A-Z]{1,2}\d[A-Z\d]?$",
    Generalisation.SECTOR: r"^[A-Z]{1,2}\d[A-Z\d]? \d$",
}
"""What a text column generalised to each level may hold (a year is an integer column)."""
_INTEGER_TYPES = frozenset({"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT",
                            "USMALLINT", "UINTEGER", "UBIGINT", "UHUGEINT"})  # fmt: skip


class Generalise(Treatment):
    """A coarser value: ``to`` says how coarse."""

    name: ClassVar[str] = "generalise"

    to: Generalisation

    @model_validator(mode="before")
    @classmethod
    def _needs_to(cls, value: Any) -> Any:
        if isinstance(value, dict) and value.get("to") is None:
            raise ValueError(f"generalise needs 'to:' ({', '.join(Generalisation)})")
        return value

    def problem(self, field: str) -> str | None:
        """Dates generalise to year, month or band; the postcode to area, district or sector."""
        kind = FIELD_KINDS[field]
        if field == "postcode":
            allowed = POSTCODE_GENERALISATIONS
        elif kind == "date":
            allowed = DATE_GENERALISATIONS
        else:
            return f"a {kind} field cannot be generalised (only dates and postcode)"
        if self.to not in allowed:
            names = ", ".join(sorted(allowed))
            return f"{field} cannot be generalised to {self.to} (possible: {names})"
        return None

    @property
    def reads_canonical_form(self) -> bool:
        """A postcode's area, district and sector come from its canonical form."""
        return self.to in POSTCODE_GENERALISATIONS

    def value_sql(self, field: str, *, canonical: str | None = None) -> str:
        """The generalised value: an integer year, else text."""
        column = ident(field)
        if self.to is Generalisation.YEAR:
            return f"CAST(year({column}) AS INTEGER)"
        if self.to is Generalisation.MONTH:
            return f"strftime({column}, '%Y-%m')"
        if self.to is Generalisation.FIVE_YEAR_BAND:
            start = f"(year({column}) - year({column}) % 5)"
            return f"CAST({start} AS VARCHAR) || '-' || CAST({start} + 4 AS VARCHAR)"
        form = ident(canonical) if canonical else canonical_sql(field)
        if self.to is Generalisation.AREA:
            return f"nullif(regexp_extract({form}, '^[A-Z]+'), '')"
        if self.to is Generalisation.DISTRICT:
            return f"nullif(split_part({form}, ' ', 1), '')"
        return f"left({form}, len({form}) - 2)"

    def release_counts(self, column: WrittenColumn) -> list[Count]:
        """A text column holds nothing finer than agreed."""
        pattern = GENERALISED_PATTERNS.get(self.to)
        if pattern is None or column.type != "VARCHAR":
            return []
        return [Count(not_matching_sql(column.field, pattern), f"value(s) finer than {self.to}")]

    def release_problems(self, column: WrittenColumn) -> list[str]:
        """A year is written as an integer, every other level as text."""
        if self.to is Generalisation.YEAR:
            if column.type not in _INTEGER_TYPES:
                return [f"{column.field}: generalised to year but holds {column.type}"]
        elif column.type != "VARCHAR":
            return [f"{column.field}: generalised but holds {column.type}"]
        return []
