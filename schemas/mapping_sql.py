"""Compile a feed's column mapping into one DuckDB SELECT over a batch of raw text columns.

The SELECT returns every canonical field plus ``_problems``: a list of
``{column, field, reason, reject}`` structs for the row. Reasons never contain the value itself,
so they are safe to log and count. Bulk work stays columnar: no Python runs per row.
"""

from __future__ import annotations

from typing import Any

from schemas.canonical import (
    IDENTIFIER_FIELDS,
    PersonRecord,
    arrow_schema,
    field_types,
)
from schemas.feed import ColumnMapping, FeedFormat
from schemas.identifiers import SQL_CANONICALISERS

_DEFAULT_BOOLEAN_CODES: dict[str, bool] = {
    "Y": True, "YES": True, "TRUE": True, "1": True, "N": False, "NO": False, "FALSE": False,
    "0": False,
}  # fmt: skip


def quote_identifier(name: str) -> str:
    """Quote a column name for DuckDB."""
    return '"' + name.replace('"', '""') + '"'


def quote_literal(value: str) -> str:
    """Quote a string literal for DuckDB."""
    return "'" + value.replace("'", "''") + "'"


def _blank_to_null(column: str) -> str:
    return f"nullif(trim({quote_identifier(column)}), '')"


def _problem(condition: str, column: str, field: str, reason: str, reject: bool) -> str:
    return (
        f"CASE WHEN {condition} THEN {{'column': {quote_literal(column)}, "
        f"'field': {quote_literal(field)}, 'reason': {quote_literal(reason)}, "
        f"'reject': {str(reject).lower()}}} END"
    )


def _bounds(name: str) -> tuple[int | None, int | None]:
    low = high = None
    for item in PersonRecord.model_fields[name].metadata:
        low = getattr(item, "ge", low)
        high = getattr(item, "le", high)
    return low, high


def _code_case(raw: str, codes: dict[str, Any], sql_type: str) -> str:
    whens = " ".join(
        f"WHEN upper({raw}) = upper({quote_literal(code)}) THEN {_literal(value)}::{sql_type}"
        for code, value in codes.items()
    )
    return f"(CASE {whens} END)"


def _literal(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    return quote_literal(str(value))


def _field_sql(name: str, mapping: ColumnMapping, kind: str) -> tuple[str, list[str]]:
    """SQL for one mapped field and the problem expressions it can raise."""
    raw = _blank_to_null(mapping.column)
    problems: list[str] = []
    reject = mapping.on_invalid == "reject"
    if kind == "date":
        parsed = ", ".join(
            f"try_strptime({raw}, {quote_literal(fmt)})" for fmt in mapping.date_formats
        )
        value = f"CAST(coalesce({parsed}, NULL) AS DATE)"
        formats = " or ".join(mapping.date_formats)
        problems.append(
            _problem(f"{raw} IS NOT NULL AND {value} IS NULL", mapping.column, name,
                     f"unparseable date (expected {formats})", reject)
        )  # fmt: skip
    elif kind == "integer":
        value = f"TRY_CAST({raw} AS BIGINT)"
        problems.append(
            _problem(f"{raw} IS NOT NULL AND {value} IS NULL", mapping.column, name,
                     "not a whole number", reject)
        )  # fmt: skip
        low, high = _bounds(name)
        if low is not None or high is not None:
            checks = [f"{value} < {low}" if low is not None else "false",
                      f"{value} > {high}" if high is not None else "false"]  # fmt: skip
            out_of_range = f"({' OR '.join(checks)})"
            problems.append(
                _problem(out_of_range, mapping.column, name,
                         f"out of range ({low} to {high})", reject)
            )  # fmt: skip
            value = f"(CASE WHEN NOT {out_of_range} THEN {value} END)"
    elif kind in ("boolean", "sex") or mapping.codes:
        sql_type = "BOOLEAN" if kind == "boolean" else "VARCHAR"
        codes: dict[str, Any] = dict(mapping.codes or {})
        if kind == "boolean" and not codes:
            codes = dict(_DEFAULT_BOOLEAN_CODES)
        if kind == "sex" and not codes:
            codes = {v: v for v in ("male", "female", "not_known", "not_specified")}
        value = _code_case(raw, codes, sql_type)
        problems.append(
            _problem(f"{raw} IS NOT NULL AND {value} IS NULL", mapping.column, name,
                     f"code not in the feed's code map ({', '.join(codes)})", reject)
        )  # fmt: skip
    else:
        value = raw
    if mapping.required or name == "source_record_id":
        problems.append(_problem(f"{raw} IS NULL", mapping.column, name, "required value is blank",
                                 True))  # fmt: skip
    return value, problems


def _name_split_sql(column: str) -> dict[str, str]:
    """forename, middle_names and surname from 'SURNAME, Forename Middle' or 'Forename Surname'."""
    raw = _blank_to_null(column)
    comma = f"strpos({raw}, ',') > 0"
    after = f"trim(substr({raw}, strpos({raw}, ',') + 1))"
    before = f"trim(substr({raw}, 1, strpos({raw}, ',') - 1))"
    words = f"string_split(regexp_replace({raw}, '\\s+', ' ', 'g'), ' ')"
    after_words = f"string_split(regexp_replace({after}, '\\s+', ' ', 'g'), ' ')"
    return {
        "surname": f"CASE WHEN {comma} THEN nullif({before}, '') "
        f"WHEN len({words}) > 1 THEN {words}[-1] END",
        "forename": f"nullif(CASE WHEN {comma} THEN {after_words}[1] ELSE {words}[1] END, '')",
        "middle_names": f"nullif(CASE WHEN {comma} THEN array_to_string({after_words}[2:], ' ') "
        f"ELSE array_to_string({words}[2:-2], ' ') END, '')",
    }


def compile_mapping(fmt: FeedFormat) -> str:
    """A SELECT over table ``batch`` (raw text columns plus ``_row_number``, ``_source`` and
    ``_extract_id``) that yields canonical columns in :func:`arrow_schema` order and
    ``_problems``."""
    kinds = field_types()
    selects: dict[str, str] = {
        "source": "_source",
        "extract_id": "_extract_id",
        "row_number": "_row_number",
    }
    problems: list[str] = []
    for name, mapping in fmt.mappings.items():
        value, field_problems = _field_sql(name, mapping, kinds[name])
        problems.extend(field_problems)
        if name in IDENTIFIER_FIELDS or name == "postcode":
            canonical = SQL_CANONICALISERS[name](_blank_to_null(mapping.column))
            selects[f"{name}_canonical"] = canonical
            reason = (
                "not a valid postcode, or a placeholder"
                if name == "postcode"
                else "fails its format or check, not used as evidence"
            )
            problems.append(
                _problem(f"{value} IS NOT NULL AND {canonical} IS NULL", mapping.column, name,
                         reason, False)
            )  # fmt: skip
        selects[name] = value
    if fmt.full_name:
        selects.update(_name_split_sql(fmt.full_name.column))
        problems.append(
            _problem(f"{_blank_to_null(fmt.full_name.column)} IS NULL", fmt.full_name.column,
                     "full_name", "name is blank", False)
        )  # fmt: skip
    problem_list = f"list_filter([{', '.join(problems)}], lambda p: p IS NOT NULL)"
    schema = arrow_schema()
    columns = []
    for field in schema:
        if field.name == "warnings":
            continue
        expression = selects.get(field.name, "NULL")
        sql_type = _duckdb_type(field.name, kinds)
        columns.append(f"CAST({expression} AS {sql_type}) AS {quote_identifier(field.name)}")
    return f"SELECT {', '.join(columns)}, {problem_list} AS _problems FROM batch"


def _duckdb_type(name: str, kinds: dict[str, str]) -> str:
    return {"date": "DATE", "integer": "BIGINT", "boolean": "BOOLEAN"}.get(kinds[name], "VARCHAR")
