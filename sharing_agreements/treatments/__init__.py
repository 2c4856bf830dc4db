"""Treatments: what happens to a field's values on the way out, one class per treatment.

Each treatment (a :class:`Treatment`, see :mod:`.base`) owns the options an agreement gives it,
whether it fits a field, the SQL that makes the released value and its part of the release check.
The agreement model reads a clause's ``treatment:`` word with :func:`parse_treatment`; the view
builder and the release check only call the treatment's methods.

To add a treatment: write its class in a module of this package and list it in ``BUILT_IN``.
"""

from __future__ import annotations

from collections.abc import Mapping

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from sharing_agreements.treatments.base import Count, Treatment, WrittenColumn
from sharing_agreements.treatments.drop import Drop
from sharing_agreements.treatments.generalise import Generalisation, Generalise
from sharing_agreements.treatments.k_anonymise import KAnonymise
from sharing_agreements.treatments.keep import Keep
from sharing_agreements.treatments.pseudonymise import Pseudonymise

__all__ = [
    "BUILT_IN",
    "PERSON_ID_TREATMENT",
    "TREATMENTS",
    "Count",
    "Drop",
    "Generalisation",
    "Generalise",
    "KAnonymise",
    "Keep",
    "Pseudonymise",
    "Treatment",
    "WrittenColumn",
    "parse_treatment",
]

BUILT_IN: tuple[type[Treatment], ...] = (Keep, Pseudonymise, Generalise, KAnonymise, Drop)
TREATMENTS: dict[str, type[Treatment]] = {kind.name: kind for kind in BUILT_IN}
"""Treatment word in an agreement -> its class."""
PERSON_ID_TREATMENT: Treatment = Pseudonymise()
"""Every release's person_id is the recipient's pseudonym of the hub's person id."""


def _option_problem(kind: type[Treatment], error: ErrorDetails) -> str:
    where = ".".join(str(part) for part in error["loc"])
    if error["type"] == "extra_forbidden":
        options = ", ".join(kind.model_fields)
        takes = f"its options: {options}" if options else "it takes no options"
        return f"'{where}:' does not go with {kind.name} ({takes})"
    message = error["msg"].removeprefix("Value error, ")
    return f"{where}: {message}" if where else message


def parse_treatment(name: object, options: Mapping[str, object]) -> Treatment:
    """The treatment an agreement names, with its options; ValueError says what is wrong."""
    kind = TREATMENTS.get(name) if isinstance(name, str) else None
    if kind is None:
        raise ValueError(f"unknown treatment {name!r} (known: {', '.join(TREATMENTS)})")
    try:
        return kind.model_validate(dict(options))
    except ValidationError as error:
        problems = [_option_problem(kind, e) for e in error.errors()]
        raise ValueError("; ".join(problems)) from None
