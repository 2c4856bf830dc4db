"""Drop: the agreement names the field to say that it is never shared."""

from __future__ import annotations

from typing import ClassVar

from sharing_agreements.errors import PolicyError
from sharing_agreements.treatments.base import Treatment


class Drop(Treatment):
    """Nothing leaves; the policy denies the field, so no column is ever built for it."""

    name: ClassVar[str] = "drop"
    releases: ClassVar[bool] = False

    def value_sql(self, field: str, *, canonical: str | None = None) -> str:
        """Never called for a policy's column: a dropped field is denied."""
        raise PolicyError(f"{field}: no column is built for treatment {self}")
