"""K-anonymise: a quasi-identifier, generalised then suppressed so that every combination of the
release's quasi-identifiers is shared by at least ``k`` people.

Every column of a release under ``k_anonymise`` is a quasi-identifier of that release. Each is
first made coarser when ``to`` says so (as :class:`~.generalise.Generalise` does); then people
whose combination of quasi-identifiers is shared by fewer than ``k`` people released (the largest
``k`` of the release's quasi-identifiers) have all their quasi-identifiers withheld. People whose
quasi-identifiers are all withheld form no group. The release check counts the groups smaller
than ``k``; the manifest gives the group size achieved and the people suppressed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

from pydantic import Field

from schemas.sql import quote_identifier as ident
from sharing_agreements.treatments.base import Count, Treatment, WrittenColumn
from sharing_agreements.treatments.generalise import Generalisation, Generalise
from sharing_agreements.treatments.keep import Keep


class KAnonymise(Treatment):
    """A quasi-identifier: kept (or generalised ``to`` a level), withheld in groups under ``k``."""

    name: ClassVar[str] = "k_anonymise"

    k: int = Field(ge=2)
    to: Generalisation | None = None

    @property
    def _coarser(self) -> Treatment:
        """The treatment that makes the value before suppression."""
        return Generalise(to=self.to) if self.to is not None else Keep()

    def problem(self, field: str) -> str | None:
        """Any field fits; ``to`` must fit it as for ``generalise``."""
        return self._coarser.problem(field)

    @property
    def reads_canonical_form(self) -> bool:
        """As the generalisation does."""
        return self._coarser.reads_canonical_form

    @property
    def group_size(self) -> int:
        """k."""
        return self.k

    def value_sql(self, field: str, *, canonical: str | None = None) -> str:
        """The value, generalised when ``to`` says so."""
        return self._coarser.value_sql(field, canonical=canonical)

    def released_sql(self, field: str, columns: Mapping[str, Treatment]) -> str:
        """The value where its group is large enough."""
        return f"CASE WHEN {_group_sql(columns)} >= {_k(columns)} THEN {ident(field)} END"

    def suppressed_sql(self, field: str, columns: Mapping[str, Treatment]) -> str:
        """A kept value in a group smaller than k."""
        return f"({ident(field)} IS NOT NULL AND {_group_sql(columns)} < {_k(columns)})"

    def release_counts(self, column: WrittenColumn) -> list[Count]:
        """Nothing finer than ``to``."""
        return self._coarser.release_counts(column)

    def release_problems(self, column: WrittenColumn) -> list[str]:
        """The generalisation's type; and, once per release (on its first quasi-identifier),
        the groups smaller than k."""
        problems = self._coarser.release_problems(column)
        names = _quasi_identifiers(column.columns)
        if column.field != names[0]:
            return problems
        listed = ", ".join(ident(n) for n in names)
        any_value = " OR ".join(f"{ident(n)} IS NOT NULL" for n in names)
        k = _k(column.columns)
        ((small,),) = column.con.sql(
            f"SELECT count(*) FROM (SELECT count(*) AS n FROM {column.release} "
            f"WHERE {any_value} GROUP BY {listed}) WHERE n < {k}"
        ).fetchall()
        if small:
            problems.append(f"{', '.join(names)}: {small} group(s) smaller than {k}")
        return problems


def _quasi_identifiers(columns: Mapping[str, Treatment]) -> list[str]:
    return [name for name, treatment in columns.items() if treatment.group_size]


def _k(columns: Mapping[str, Treatment]) -> int:
    return max(t.group_size or 0 for t in columns.values())


def _group_sql(columns: Mapping[str, Treatment]) -> str:
    """The number of released people sharing the row's quasi-identifiers."""
    listed = ", ".join(ident(n) for n in _quasi_identifiers(columns))
    return f"count(*) OVER (PARTITION BY {listed})"
