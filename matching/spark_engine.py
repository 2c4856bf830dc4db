"""The Spark engine: the match stage on Spark through Splink's Spark API (``backend: spark``).

Everything goes through Parquet in the *exchange* folder, a path the hub and every executor
reach (``matching.engine.spark.exchange``; by default the run's folder under the workspace's
``tmp/``, enough for ``local[N]``):

- inputs: the staging files are read from there (copied in first when the exchange is
  configured, so a cluster never reads the hub's workspace);
- tables: each ``create_table`` is written there and read back (Spark's lineage ends there,
  as Splink's own intermediate tables do, in ``checkpoints/``);
- outputs: each ``write_parquet`` writes one part file there, which the hub moves into place.

SQL arrives in DuckDB's dialect and is translated by :mod:`matching.dialect`; the few
statements that stay DuckDB-only run on DuckDB over the Parquet of the tables they read.
Splink's similarity jar (Jaro-Winkler, Damerau-Levenshtein) is pinned: its name and SHA-256
are checked before the session starts.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from matching.config import EngineConfig
from matching.dialect import duckdb_to_spark, is_duckdb_only, spark_settings
from matching.engine import Engine
from matching.errors import MatchingError
from schemas.duckdb_session import connect
from schemas.sql import literal_list, quote_literal

if TYPE_CHECKING:
    import pyarrow as pa
    from splink.internals.database_api import DatabaseAPI

SIMILARITY_JAR = "scala-udf-similarity-0.2.1_spark4.x.jar"
SIMILARITY_JAR_SHA256 = "6468d81ead3593c4bef5cfb470f8ea7e7970615ba562f527201f44002cda8204"
"""Splink's bundled jar of string similarity functions, as pinned (Splink 5, Spark 4)."""

DEFAULT_CONF: dict[str, str] = {
    "spark.app.name": "iomhub-match",
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    "spark.sql.ansi.enabled": "false",
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.shuffle.partitions": "8",
    "spark.sql.adaptive.enabled": "true",
    "spark.sql.execution.arrow.pyspark.enabled": "true",
}
"""The hub's Spark defaults; ``matching.engine.spark.conf`` overrides any of them. ANSI mode is
off so that a list index past the end is null, as in DuckDB."""

_CREATE = re.compile(
    r"^\s*CREATE\s+OR\s+REPLACE\s+(TABLE|VIEW)\s+(\w+)\s+AS\s+(.*)$", re.IGNORECASE | re.DOTALL
)
_DROP = re.compile(r"^\s*DROP\s+(TABLE|VIEW)\s+(IF\s+EXISTS\s+)?(\w+)\s*$", re.IGNORECASE)
_NAMES = re.compile(r"\b(?:FROM|JOIN)\s+(\w+)", re.IGNORECASE)


def similarity_jar() -> Path:
    """Splink's similarity jar, checked against the pin."""
    from splink.backends.spark import similarity_jar_location

    jar = Path(similarity_jar_location())
    if jar.name != SIMILARITY_JAR or not jar.is_file():
        raise MatchingError(
            f"Splink's similarity jar is {jar.name}, not the pinned {SIMILARITY_JAR}",
            hint="install the Splink and pyspark versions of constraints.txt",
        )
    digest = hashlib.sha256(jar.read_bytes()).hexdigest()
    if digest != SIMILARITY_JAR_SHA256:
        raise MatchingError(
            f"Splink's similarity jar {jar.name} is not the pinned file (SHA-256 {digest})",
            hint="reinstall Splink from constraints.txt",
        )
    return jar


def spark_session(config: EngineConfig) -> Any:
    """A Spark session under the hub file's settings, with the similarity jar on its path."""
    from pyspark.sql import SparkSession

    settings = config.spark
    conf = dict(DEFAULT_CONF)
    if config.threads:
        conf["spark.sql.shuffle.partitions"] = str(max(2, 4 * config.threads))
    conf["spark.jars"] = str(similarity_jar())
    conf.update(settings.conf)
    builder = SparkSession.builder
    if settings.master.startswith("sc://"):
        builder = builder.remote(settings.master)
    else:
        builder = builder.master(settings.master)
    for key, value in conf.items():
        builder = builder.config(key, value)
    try:
        session = builder.getOrCreate()
    except Exception as error:  # Java missing, master unreachable: said in the hub's words
        raise MatchingError(
            f"the Spark session could not start ({type(error).__name__})",
            hint="check matching.engine.spark.master and that Java 17 or later is installed",
        ) from error
    if not settings.master.startswith("sc://"):
        session.sparkContext.setLogLevel("ERROR")
    return session


class SparkEngine(Engine):
    """Spark (local or a cluster) with Parquet in the exchange folder between the steps."""

    name = "spark"
    dialect = "spark"

    def __init__(self, config: EngineConfig, temp_directory: Path) -> None:
        run = f"run-{uuid.uuid4().hex[:12]}"
        settings = config.spark
        if settings.exchange is None:
            self._exchange = self._local = temp_directory / "exchange" / run
            self._copy_inputs = False
        else:
            self._exchange = settings.exchange / run
            self._local = (settings.exchange_local or settings.exchange) / run
            self._copy_inputs = True
        self._local.mkdir(parents=True, exist_ok=True)
        self._config = config
        self._spark = spark_session(config)
        self._views: set[str] = set()
        self._api: Any = None
        self.splink_api()  # registers the jar's functions, which the hub's SQL uses too

    def splink_api(self) -> DatabaseAPI[Any]:
        if self._api is None:
            from splink.backends.spark import SparkAPI

            connect = self._config.spark.master.startswith("sc://")
            if not connect:
                self._spark.sparkContext.setCheckpointDir(self._path("checkpoints"))
            self._api = SparkAPI(
                spark_session=self._spark,
                break_lineage_method="persist" if connect else "parquet",
            )
        return self._api

    def splink_settings(self, settings: dict[str, Any]) -> dict[str, Any]:
        return spark_settings(settings)

    def load_parquet(self, table: str, paths: Sequence[Path]) -> None:
        sources = [str(p) for p in paths]
        if self._copy_inputs:
            folder = self._local / "inputs" / table
            folder.mkdir(parents=True, exist_ok=True)
            for number, path in enumerate(paths):
                shutil.copyfile(path, folder / f"{number:04d}-{path.name}")
            sources = [self._path("inputs", table)]
        frame = self._spark.read.option("mergeSchema", "true").parquet(*sources)
        self._view(table, frame)

    def register_arrow(self, table: str, data: pa.Table) -> None:
        self._view(table, self._spark.createDataFrame(data))

    def translate(self, sql: str) -> str:
        return sql if is_duckdb_only(sql) else duckdb_to_spark(sql)

    def _execute(self, sql: str) -> None:
        created = _CREATE.match(sql)
        dropped = _DROP.match(sql)
        if created:
            kind, table, query = created.groups()
            frame = self._spark.sql(query)
            if kind.upper() == "TABLE":  # a fresh folder: the query may read the table it replaces
                folder = self._path("tables", f"{table}-{uuid.uuid4().hex[:8]}")
                frame.write.parquet(folder)
                frame = self._spark.read.parquet(folder)
            self._view(table, frame)
        elif dropped:
            self._spark.catalog.dropTempView(dropped.group(3))
            self._views.discard(dropped.group(3))
        else:
            self._spark.sql(sql).collect()

    def _to_arrow(self, sql: str) -> pa.Table:
        if is_duckdb_only(sql):
            return self._on_duckdb(sql, lambda con, query: con.sql(query).to_arrow_table())
        return self._spark.sql(sql).toArrow()

    def _write_parquet(self, sql: str, path: Path) -> None:
        if is_duckdb_only(sql):
            self._on_duckdb(sql, lambda con, query: con.execute(
                f"COPY ({query}) TO {quote_literal(path)} (FORMAT parquet, COMPRESSION zstd)"
            ))  # fmt: skip
            return
        name = f"out-{uuid.uuid4().hex[:8]}"
        frame = self._spark.sql(sql).coalesce(1)
        frame.write.option("compression", "zstd").parquet(self._path("outputs", name))
        parts = sorted((self._local / "outputs" / name).glob("part-*.parquet"))
        if len(parts) != 1:
            raise MatchingError(f"the Spark engine wrote {len(parts)} files for one output")
        shutil.move(parts[0], path)
        shutil.rmtree(self._local / "outputs" / name, ignore_errors=True)

    def physical_name(self, splink_frame: Any) -> str:
        return str(splink_frame.physical_name)

    def close(self) -> None:
        for view in self._views:
            self._spark.catalog.dropTempView(view)
        self._spark.catalog.clearCache()
        self._spark.stop()
        shutil.rmtree(self._local, ignore_errors=True)

    def _path(self, *parts: str) -> str:
        return str(self._exchange.joinpath(*parts))

    def _view(self, table: str, frame: Any) -> None:
        frame.createOrReplaceTempView(table)
        self._views.add(table)

    def _on_duckdb(self, sql: str, action: Any) -> Any:
        """Run a DuckDB-only statement on DuckDB over Parquet copies of the tables it reads."""
        folder = self._local / "duckdb" / uuid.uuid4().hex[:8]
        con = connect(self._config.session(folder / "spill"))
        try:
            for table in sorted({n for n in _NAMES.findall(sql) if n in self._views}):
                target = self._path("duckdb", folder.name, table)
                self._spark.table(table).write.parquet(target)
                files = sorted((folder / table).glob("part-*.parquet"))
                con.execute(f"CREATE VIEW {table} AS SELECT * FROM "
                            f"read_parquet({literal_list(files)})")  # fmt: skip
            return action(con, sql)
        finally:
            con.close()
            shutil.rmtree(folder, ignore_errors=True)
