"""A shared valid PNC, CRO or NHS number is not outvoted by spelling alone.

The model adds up independent evidence, so a pair sharing a valid PNC (about +15) whose names
disagree twice (forename and surname "different": about -17) scores below zero: police
``HOMLES / REECE`` and probation ``Reece Holmes`` stay apart. Names swapped *and* misspelt, or
both misspelt, read as "different" to each name comparison though they are plainly one spelling
of the other.

So for every pair sharing a valid PNC, CRO or NHS number whose names still *resemble* each other
(Jaro-Winkler similarity of forename and surname, in either order, adding up to at least
:data:`NAMES_RESEMBLE`), the names' evidence against is dropped: the pair weighs what it would
with the names unknown. Names that do not resemble (another person's record carrying the
number by mistake) keep their weight, and the guards still apply (two different valid
identifiers never link).

Those pairs are scored apart (every pair a strong identifier blocks, whatever its weight) and
replace their plain scores in ``scored``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from matching.engine import Engine

STRONG_IDENTIFIERS: tuple[str, ...] = ("pnc", "cro", "nhs")
NAMES_RESEMBLE = 1.7
"""Least sum of the two names' Jaro-Winkler similarities (best of straight and swapped)."""
NAME_COMPARISONS: tuple[str, ...] = ("forename", "surname")

Predict = Callable[[list[dict[str, str]]], list[Any]]
"""Scores the pairs some blocking rules find (no threshold); returns Splink dataframes."""


def identifier_rules(dialect: str = "duckdb") -> list[dict[str, str]]:
    """Blocking rules pairing records that share a strong identifier."""
    return [{"blocking_rule": f"l.{k} = r.{k}", "sql_dialect": dialect} for k in STRONG_IDENTIFIERS]


def _names_resemble_sql() -> str:
    def jw(left: str, right: str) -> str:
        return f"coalesce(jaro_winkler_similarity({left}, {right}), 0)"

    straight = f"{jw('forename_std_l', 'forename_std_r')} + {jw('surname_std_l', 'surname_std_r')}"
    swapped = f"{jw('forename_std_l', 'surname_std_r')} + {jw('surname_std_l', 'forename_std_r')}"
    return f"greatest({straight}, {swapped}) >= {NAMES_RESEMBLE}"


def _names_against_sql(settings: Any) -> str:
    """The names' evidence against a pair (a weight at most 0), from its comparison levels."""
    terms = []
    for comparison in settings.comparisons:
        if comparison.output_column_name not in NAME_COMPARISONS:
            continue
        cases = " ".join(
            f"WHEN {level.comparison_vector_value} THEN {min(0.0, level._log2_bayes_factor)}"
            for level in comparison.comparison_levels
            if not level.is_null_level
        )
        terms.append(f"CASE {comparison._gamma_column_name} {cases} ELSE 0 END")
    return " + ".join(terms) if terms else "0"


def back_with_identifiers(
    engine: Engine, settings: Any, predict: Predict, columns: str, review_weight: float
) -> int:
    """Rescore in ``scored`` the pairs sharing a strong identifier whose names resemble, without
    the names' evidence against; returns how many pairs were rescored.

    ``columns`` is the SELECT list that turns a prediction into a ``scored`` row.
    """
    parts = predict(identifier_rules())
    if not parts:
        return 0
    shares = " OR ".join(f"coalesce({k}_l = {k}_r, false)" for k in STRONG_IDENTIFIERS)
    selects = [
        f"SELECT {columns}, {_names_against_sql(settings)} AS names_against "
        f"FROM {engine.physical_name(part)} WHERE ({shares}) AND {_names_resemble_sql()}"
        for part in parts
    ]
    engine.create_table("backed_raw", " UNION ALL ".join(selects))
    for part in parts:
        part.drop_table_from_database_and_remove_from_cache()
    engine.create_table("backed", "SELECT * FROM backed_raw WHERE names_against < 0")
    engine.execute("DROP TABLE backed_raw")
    weight = "match_weight - names_against"
    rescored = {
        "match_weight": f"{weight} AS match_weight",
        "match_probability": f"pow(2, {weight}) / (1 + pow(2, {weight})) AS match_probability",
    }
    names = engine.to_arrow("SELECT * FROM scored LIMIT 0").schema.names
    backed = ", ".join(rescored.get(name, name) for name in names)
    engine.create_table("scored", f"""
        SELECT * FROM scored ANTI JOIN backed USING (unique_id_l, unique_id_r)
        UNION ALL
        SELECT {backed} FROM backed WHERE {weight} >= {float(review_weight)}
    """)  # fmt: skip
    return int(engine.scalar("SELECT count(*) FROM backed"))
