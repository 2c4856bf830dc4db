"""Reading a page's query parameters: a value the page cannot use is a 400 that says which.

Pages call these instead of parsing ``request.query_params`` by hand, so that ``?page=-1`` or
``?sort=nonsense`` answer with a readable message rather than a silent default or a server error.
"""

from __future__ import annotations

import datetime
from collections.abc import Collection

from starlette.datastructures import QueryParams


class BadParameter(Exception):
    """A query parameter the page cannot use; answered 400 with this message."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def page_number(params: QueryParams) -> int:
    """The ``page`` parameter: a whole number from 1 (1 when absent)."""
    given = params.get("page", "").strip()
    if not given:
        return 1
    if not given.isdigit() or len(given) > 6 or int(given) < 1:
        raise BadParameter("'page' must be a whole number from 1")
    return int(given)


def one_of(params: QueryParams, name: str, allowed: Collection[str], default: str) -> str:
    """The ``name`` parameter, which must be one of ``allowed`` (``default`` when absent)."""
    given = params.get(name, "")
    if not given:
        return default
    if given not in allowed:
        raise BadParameter(f"'{name}' must be one of: {', '.join(sorted(allowed))}")
    return given


def day(params: QueryParams, name: str) -> datetime.date | None:
    """The ``name`` parameter as a day written YYYY-MM-DD (None when absent)."""
    given = params.get(name, "").strip()
    if not given:
        return None
    try:
        return datetime.date.fromisoformat(given)
    except ValueError:
        raise BadParameter(f"'{name}' must be a day written YYYY-MM-DD") from None
