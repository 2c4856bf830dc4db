"""The one seam between matching and the SQL engine it runs on.

Everything in ``matching/`` talks to an :class:`Engine`: load Parquet, run SQL, read Arrow, write
Parquet, and hand Splink its database API. SQL is written once in DuckDB's dialect; the final
template methods (:meth:`Engine.execute`, :meth:`Engine.to_arrow`, ...) pass it through
:meth:`Engine.translate` before the engine runs it, and a model's Splink settings go through
:meth:`Engine.splink_settings`. Two engines implement the few abstract methods (``_execute``,
``_to_arrow``, ``_write_parquet``, ``load_parquet``, ``register_arrow``, ``splink_api``,
``physical_name``): DuckDB here, Spark in :mod:`matching.spark_engine` (translating through
:mod:`matching.dialect`), both registered in :data:`ENGINES`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, final

from matching.config import EngineConfig
from matching.errors import MatchingError
from schemas.duckdb_session import connect
from schemas.sql import literal_list, quote_literal

if TYPE_CHECKING:
    import pyarrow as pa
    from splink.internals.database_api import DatabaseAPI


class Engine(ABC):
    """A SQL engine session for one matching run."""

    name: str
    dialect: str
    """Splink's name of the engine's SQL dialect."""

    @abstractmethod
    def splink_api(self) -> DatabaseAPI[Any]:
        """Splink's database API on this engine's session (created once)."""

    @abstractmethod
    def load_parquet(self, table: str, paths: Sequence[Path]) -> None:
        """Make ``table`` read the union of Parquet files ``paths`` (same schema)."""

    @abstractmethod
    def register_arrow(self, table: str, data: pa.Table) -> None:
        """Expose an Arrow table under ``table``."""

    @abstractmethod
    def _execute(self, sql: str) -> None:
        """Run a statement in the engine's own dialect."""

    @abstractmethod
    def _to_arrow(self, sql: str) -> pa.Table:
        """Run a query in the engine's own dialect; the result as Arrow."""

    @abstractmethod
    def _write_parquet(self, sql: str, path: Path) -> None:
        """Write a query's result (engine dialect) to one Parquet file."""

    @abstractmethod
    def physical_name(self, splink_frame: Any) -> str:
        """The table name of a Splink dataframe, usable in this engine's SQL."""

    def translate(self, sql: str) -> str:
        """SQL written in DuckDB's dialect, made runnable here (identity for DuckDB)."""
        return sql

    def splink_settings(self, settings: dict[str, Any]) -> dict[str, Any]:
        """A model's Splink settings (DuckDB's dialect) made runnable here (identity here)."""
        return settings

    @final
    def execute(self, sql: str) -> None:
        """Run a statement that returns nothing useful (DuckDB dialect, translated)."""
        self._execute(self.translate(sql))

    @final
    def to_arrow(self, sql: str) -> pa.Table:
        """Run a query (DuckDB dialect, translated) and return its result as Arrow."""
        return self._to_arrow(self.translate(sql))

    @final
    def write_parquet(self, sql: str, path: Path) -> None:
        """Write the result of a query (DuckDB dialect, translated) to one Parquet file."""
        path.parent.mkdir(parents=True, exist_ok=True)
        self._write_parquet(self.translate(sql), path)

    @final
    def create_table(self, table: str, sql: str) -> None:
        """Materialise a query as ``table`` (replacing it)."""
        self.execute(f"CREATE OR REPLACE TABLE {table} AS {sql}")

    @final
    def scalar(self, sql: str) -> Any:
        """The first value of the first row of a query (None if empty)."""
        result = self.to_arrow(sql)
        return result.column(0)[0].as_py() if result.num_rows else None

    def close(self) -> None:  # noqa: B027 - optional for engines without a session
        """Release the session."""


class DuckDBEngine(Engine):
    """DuckDB in this process, with an explicit memory limit and spill folder."""

    name = "duckdb"
    dialect = "duckdb"

    def __init__(self, config: EngineConfig, temp_directory: Path) -> None:
        self._con = connect(config.session(temp_directory))
        self._con.execute("SET preserve_insertion_order = false")
        self._api: Any = None

    @property
    def connection(self) -> Any:
        """The DuckDB connection (for engine-specific helpers only)."""
        return self._con

    def splink_api(self) -> DatabaseAPI[Any]:
        if self._api is None:
            from splink import DuckDBAPI

            self._api = DuckDBAPI(connection=self._con)
        return self._api

    def load_parquet(self, table: str, paths: Sequence[Path]) -> None:
        self._run(f"CREATE OR REPLACE VIEW {table} AS SELECT * FROM "
                  f"read_parquet({literal_list(paths)}, union_by_name = true)")  # fmt: skip

    def register_arrow(self, table: str, data: pa.Table) -> None:
        self._con.register(table, data)

    def _execute(self, sql: str) -> None:
        self._run(sql)

    def _to_arrow(self, sql: str) -> pa.Table:
        return self._guard(lambda: self._con.sql(sql).to_arrow_table())

    def _write_parquet(self, sql: str, path: Path) -> None:
        self._run(f"COPY ({sql}) TO {quote_literal(path)} (FORMAT parquet, COMPRESSION zstd)")

    def physical_name(self, splink_frame: Any) -> str:
        return str(splink_frame.physical_name)

    def close(self) -> None:
        self._con.close()

    def _run(self, sql: str) -> None:
        self._guard(lambda: self._con.execute(sql))

    @staticmethod
    def _guard(action: Callable[[], Any]) -> Any:
        import duckdb

        try:
            return action()
        except duckdb.OutOfMemoryException as error:
            raise MatchingError(
                "the matching engine ran out of memory",
                hint="raise matching.engine.memory_limit in the hub file, or free disk space "
                "in the workspace's tmp/ folder for spilling",
            ) from error
        except duckdb.IOException as error:
            raise MatchingError(
                f"the matching engine could not read or write a file: {error}"
            ) from error


def _spark_engine(config: EngineConfig, temp_directory: Path) -> Engine:
    from matching.spark_engine import SparkEngine  # pyspark is imported only when chosen

    return SparkEngine(config, temp_directory)


ENGINES: dict[str, Callable[[EngineConfig, Path], Engine]] = {
    "duckdb": DuckDBEngine, "spark": _spark_engine,
}  # fmt: skip


def open_engine(config: EngineConfig, temp_directory: Path) -> Engine:
    """Open the configured engine; its spill files go under ``temp_directory``."""
    try:
        factory = ENGINES[config.backend]
    except KeyError as error:
        raise MatchingError(f"no matching engine named {config.backend!r}") from error
    return factory(config, temp_directory)
