"""Keep: the value as the matched view holds it."""

from __future__ import annotations

from typing import ClassVar

from schemas.sql import quote_identifier as ident
from sharing_agreements.treatments.base import Treatment


class Keep(Treatment):
    """The value as the view holds it; fits any field."""

    name: ClassVar[str] = "keep"

    def value_sql(self, field: str, *, canonical: str | None = None) -> str:
        """The column itself."""
        return ident(field)
