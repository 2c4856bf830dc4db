"""The one way the hub opens a DuckDB session, under typed limits.

Every layer opens its in-process DuckDB through :func:`connect`, with the memory limit,
threads and spill folder of a :class:`DuckDBSettings`; a setting left unset keeps DuckDB's own
default (memory: 80% of RAM; threads: every core; spill: beside the database, none in memory).
The hub passes its engine settings down (``matching.engine`` in the hub file).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import duckdb


@dataclass(frozen=True)
class DuckDBSettings:
    """The bounds of one DuckDB session."""

    memory_limit: str | None = None
    """DuckDB's memory limit, e.g. ``4GB``; beyond it DuckDB spills to ``spill_folder``."""
    threads: int | None = None
    """Worker threads."""
    spill_folder: Path | None = None
    """Where DuckDB writes what does not fit in memory (created when the session opens)."""


def connect(settings: DuckDBSettings | None = None) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB session bounded by ``settings`` (DuckDB's defaults when None)."""
    import duckdb

    settings = settings or DuckDBSettings()
    config: dict[str, str | int] = {}
    if settings.memory_limit:
        config["memory_limit"] = settings.memory_limit
    if settings.threads is not None:
        config["threads"] = int(settings.threads)
    if settings.spill_folder is not None:
        settings.spill_folder.mkdir(parents=True, exist_ok=True)
        config["temp_directory"] = str(settings.spill_folder)
    return duckdb.connect(":memory:", config=config)
