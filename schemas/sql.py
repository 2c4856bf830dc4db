"""Quoting for the SQL the hub writes: identifiers, string literals and lists of literals.

Every layer that builds SQL quotes names and values here, so there is one rule for both
(doubled quote characters, as DuckDB and SQLite read them).
"""

from __future__ import annotations

import os
from collections.abc import Iterable


def quote_identifier(name: str) -> str:
    """A column or table name, double-quoted."""
    return '"' + name.replace('"', '""') + '"'


def quote_literal(value: str | os.PathLike[str]) -> str:
    """A string literal (a path is written as its text)."""
    return "'" + os.fspath(value).replace("'", "''") + "'"


def literal_list(values: Iterable[str | os.PathLike[str]]) -> str:
    """A list of string literals, e.g. the files given to ``read_parquet``."""
    return "[" + ", ".join(quote_literal(value) for value in values) + "]"
