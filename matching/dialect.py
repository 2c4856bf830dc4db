"""The SQL dialect seam: the hub's matching SQL is written once, in DuckDB's dialect; this module
is the one place that makes it Spark SQL.

Two users: the Spark engine translates every statement the hub sends it
(:func:`duckdb_to_spark`), and the model file's comparison and blocking SQL before Splink sees
it (:func:`spark_settings`). So one model file runs on both engines.

sqlglot's DuckDB-to-Spark translation does most of it (list functions to array functions and
lambdas, 1-based list indexes to 0-based, ``strftime`` to ``date_format``, ...). What it gets
wrong or leaves out for this hub is fixed here:

- ``list_has_any`` becomes ``arrays_overlap`` (sqlglot writes ``&&``, which Spark lacks);
- ``jaro_winkler_similarity`` becomes ``jaro_winkler``, Splink's similarity jar function
  (registered by :mod:`matching.spark_engine`); ``damerau_levenshtein`` keeps its name (also
  the jar's);
- ``strip_accents`` becomes ``translate`` over the accented Latin letters (Spark has no
  ``strip_accents``): each letter of U+00C0-U+024F whose canonical decomposition is one ASCII
  letter and combining marks maps to that letter, as DuckDB's does; letters with no such
  decomposition (``ø``, ``ß``, ``æ``, ``ł``) are left, on both engines;
- a list slice ``x[2:]`` becomes ``slice(x, 2, size(x))``;
- ``QUALIFY``, ``ANTI JOIN`` and ``GROUP BY ALL`` are kept: Spark 4 reads them as DuckDB does
  (sqlglot would otherwise rewrite ``QUALIFY`` into a subquery).

Statements that stay DuckDB-only (the person view's struct aggregates with ``FILTER`` and
``UNION ALL BY NAME``) are not translated: the Spark engine runs them on DuckDB over the
Parquet files of the tables they read (see :data:`DUCKDB_ONLY`).
"""

from __future__ import annotations

import copy
import functools
import unicodedata
from typing import Any

import sqlglot
from sqlglot import exp, transforms
from sqlglot.dialects.spark import Spark
from sqlglot.generators.spark import SparkGenerator

SQLGLOT_NAME = "hubspark"
"""The sqlglot name of the hub's Spark dialect."""

DUCKDB_ONLY: tuple[str, ...] = ("UNION ALL BY NAME",)
"""Marks of a statement kept in DuckDB's dialect: the Spark engine runs it on DuckDB."""


@functools.cache
def accent_table() -> tuple[str, str]:
    """(accented letters, their base letters) for Spark's ``translate``."""
    accented, plain = [], []
    for code in range(0x00C0, 0x0250):
        letter = chr(code)
        parts = unicodedata.normalize("NFD", letter)
        base, marks = parts[0], parts[1:]
        if (
            marks
            and base.isascii()
            and base.isalpha()
            and all(unicodedata.combining(m) for m in marks)
        ):
            accented.append(letter)
            plain.append(base)
    return "".join(accented), "".join(plain)


def _strip_accents(generator: SparkGenerator, expression: exp.Anonymous) -> str:
    accented, plain = accent_table()
    return generator.func(
        "TRANSLATE", *expression.expressions, exp.Literal.string(accented),
        exp.Literal.string(plain),
    )  # fmt: skip


def _anonymous(generator: SparkGenerator, expression: exp.Anonymous) -> str:
    if str(expression.this).lower() == "strip_accents":
        return _strip_accents(generator, expression)
    return generator.anonymous_sql(expression)


def _bracket(generator: SparkGenerator, expression: exp.Bracket) -> str:
    index = expression.expressions[0] if len(expression.expressions) == 1 else None
    if isinstance(index, exp.Slice) and index.args.get("expression") is None:
        array = expression.this
        return generator.func("SLICE", array, index.this, exp.ArraySize(this=array.copy()))
    return SparkGenerator.bracket_sql(generator, expression)


class HubSparkGenerator(SparkGenerator):
    """Spark SQL as Spark 4 and Splink's jar read it."""

    TRANSFORMS = {  # noqa: RUF012 - sqlglot's own pattern
        **SparkGenerator.TRANSFORMS,
        exp.ArrayOverlaps: lambda self, e: self.func("ARRAYS_OVERLAP", e.this, e.expression),
        exp.JarowinklerSimilarity: lambda self, e: self.func("JARO_WINKLER", e.this, e.expression),
        exp.Anonymous: _anonymous,
        exp.Select: transforms.preprocess(
            [
                transforms.eliminate_distinct_on,
                transforms.unnest_to_explode,
                transforms.any_to_exists,
            ]
        ),
    }

    def bracket_sql(self, expression: exp.Bracket) -> str:
        return _bracket(self, expression)


class HubSpark(Spark):
    """sqlglot's Spark dialect with the hub's fixes (registered by its class name,
    :data:`SQLGLOT_NAME`)."""

    Generator = HubSparkGenerator


def spark_settings(settings: dict[str, Any]) -> dict[str, Any]:
    """Splink settings (a model file's, in DuckDB's dialect) with every comparison level's and
    blocking rule's SQL in Spark's: a trained model file records no dialect, so Splink would
    not translate it, and its own translation writes ``&&`` and ``jarowinkler_similarity``."""
    result = copy.deepcopy(settings)
    for comparison in result.get("comparisons", []):
        for level in comparison["comparison_levels"]:
            if level["sql_condition"].strip().upper() != "ELSE":
                level["sql_condition"] = duckdb_to_spark(level["sql_condition"])
            level.pop("base_dialect_str", None)
    rules = []
    for rule in result.get("blocking_rules_to_generate_predictions", []):
        sql = rule["blocking_rule"] if isinstance(rule, dict) else rule
        rules.append({"blocking_rule": duckdb_to_spark(sql), "sql_dialect": "spark"})
    result["blocking_rules_to_generate_predictions"] = rules
    return result


def is_duckdb_only(sql: str) -> bool:
    """True for a statement the Spark engine runs on DuckDB (see :data:`DUCKDB_ONLY`)."""
    upper = " ".join(sql.upper().split())
    return any(mark in upper for mark in DUCKDB_ONLY)


def duckdb_to_spark(sql: str) -> str:
    """One statement of the hub's DuckDB SQL as Spark SQL."""
    return sqlglot.transpile(sql, read="duckdb", write=SQLGLOT_NAME)[0]
