"""Compile a feed's column mapping into one DuckDB SELECT over a batch of raw text columns.

The SELECT returns every canonical field plus ``_problems``: a list of
``{column, field, reason, reject}`` structs for the row. Reasons never contain the value itself,
so they are safe to log and count. Bulk work stays columnar: no Python runs per row.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from schemas.canonical import (
    IDENTIFIER_FIELDS,
    RECORD_MODELS,
    RecordKind,
    arrow_schema,
    field_types,
)
from schemas.feed import ColumnMapping, FeedFormat
from schemas.field_checks import FieldCheck, field_checks
from schemas.identifiers import SQL_PLANS
from schemas.sql import quote_identifier, quote_literal

_DEFAULT_BOOLEAN_CODES: dict[str, bool] = {
    "Y": True, "YES": True, "TRUE": True, "1": True, "N": False, "NO": False, "FALSE": False,
    "0": False,
}  # fmt: skip


MAX_PROBLEMS = 62
"""The most kinds of problem one mapping can check (bits of a BIGINT)."""


@dataclass(frozen=True)
class Problem:
    """One kind of problem a row can have, with the bit that marks it in ``_mask`` (or, for a
    check done in Arrow, in ``_field_flags``)."""

    bit: int
    column: str
    field: str
    reason: str
    reject: bool
    in_flags: bool = False

    @property
    def label(self) -> str:
        """``field: reason``, as counted and stored."""
        return f"{self.field}: {self.reason}"


@dataclass
class CompiledMapping:
    """The SQL of a feed's mapping and the problems its ``_mask`` column encodes."""

    select: str
    problems: list[Problem]
    inputs: dict[str, str] = field(default_factory=dict)
    """Partner column -> the alias DuckDB reads it as (cleaned: trimmed, blank as null)."""
    passthrough: dict[str, str] = field(default_factory=dict)
    """Canonical field -> partner column taken as is (cleaned), without DuckDB."""
    checks: list[FieldCheck] = field(default_factory=list)
    """Checks on whole values done in Arrow; their bits arrive in ``_field_flags``."""

    @property
    def reject_mask(self) -> int:
        """Bits of ``_mask`` marking the problems that reject a row (every flag rejects)."""
        return sum(1 << p.bit for p in self.problems if p.reject and not p.in_flags)

    def decode(self, mask: int, flags: int = 0) -> list[Problem]:
        """The problems set in one row's mask and field flags."""
        return [p for p in self.problems if (flags if p.in_flags else mask) >> p.bit & 1]


class _Builder:
    """Collects the three stages of the SELECT and the problem conditions."""

    def __init__(self) -> None:
        self.raw: dict[str, str] = {}
        self.levels: list[dict[str, str]] = []
        self.final: dict[str, str] = {}
        self.passthrough: dict[str, str] = {}
        self.conditions: list[tuple[str, Problem]] = []

    def raw_column(self, column: str) -> str:
        alias = self.raw.setdefault(column, f"_r{len(self.raw)}")
        return quote_identifier(alias)

    def value(self, name: str, expression: str) -> str:
        alias = f"_v_{name}"
        self.add_levels([{alias: expression}])
        return quote_identifier(alias)

    def add_levels(self, levels: list[dict[str, str]]) -> None:
        """Add projections evaluated level by level after the raw columns."""
        for depth, level in enumerate(levels):
            if depth == len(self.levels):
                self.levels.append({})
            self.levels[depth].update(level)

    def problem(self, condition: str, column: str, field: str, reason: str, reject: bool) -> None:
        bit = len(self.conditions)
        self.conditions.append((condition, Problem(bit, column, field, reason, reject)))


def _bounds(name: str, record: RecordKind) -> tuple[int | None, int | None]:
    low = high = None
    for item in RECORD_MODELS[record].model_fields[name].metadata:
        low = getattr(item, "ge", low)
        high = getattr(item, "le", high)
    return low, high


def _code_case(raw: str, codes: dict[str, Any], sql_type: str) -> str:
    whens = " ".join(
        f"WHEN {quote_literal(code.upper())} THEN {_literal(value)}::{sql_type}"
        for code, value in codes.items()
    )
    return f"(CASE upper({raw}) {whens} END)"


def _literal(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    return quote_literal(str(value))


def _add_field(
    b: _Builder, name: str, mapping: ColumnMapping, kind: str, record: RecordKind
) -> None:
    """Stage the SQL of one mapped field and the problems it can raise.

    Plain text fields pass through without SQL; DuckDB reads only the columns it must parse.
    """
    needs_sql = kind != "text" or bool(mapping.codes) or mapping.required
    identifier = name in IDENTIFIER_FIELDS or name == "postcode"
    raw = (
        b.raw_column(mapping.column)
        if needs_sql or identifier or name == "source_record_id"
        else ""
    )
    reject = mapping.on_invalid == "reject"
    column = mapping.column
    if kind == "date":
        parsed = ", ".join(f"try_strptime({raw}, {quote_literal(f)})" for f in mapping.date_formats)
        value = b.value(name, f"CAST(coalesce({parsed}, NULL) AS DATE)")
        formats = " or ".join(mapping.date_formats)
        b.problem(f"{raw} IS NOT NULL AND {value} IS NULL", column, name,
                  f"unparseable date (expected {formats})", reject)  # fmt: skip
        final = value
    elif kind == "integer":
        value = b.value(name, f"TRY_CAST({raw} AS BIGINT)")
        b.problem(f"{raw} IS NOT NULL AND {value} IS NULL", column, name, "not a whole number",
                  reject)  # fmt: skip
        low, high = _bounds(name, record)
        final = value
        if low is not None or high is not None:
            checks = [f"{value} < {low}" if low is not None else "false",
                      f"{value} > {high}" if high is not None else "false"]  # fmt: skip
            out_of_range = f"({' OR '.join(checks)})"
            b.problem(out_of_range, column, name, f"out of range ({low} to {high})", reject)
            final = f"(CASE WHEN NOT {out_of_range} THEN {value} END)"
    elif kind in ("boolean", "sex") or mapping.codes:
        sql_type = "BOOLEAN" if kind == "boolean" else "VARCHAR"
        codes: dict[str, Any] = dict(mapping.codes or {})
        if kind == "boolean" and not codes:
            codes = dict(_DEFAULT_BOOLEAN_CODES)
        if kind == "sex" and not codes:
            codes = {v: v for v in ("male", "female", "not_known", "not_specified")}
        value = b.value(name, _code_case(raw, codes, sql_type))
        b.problem(f"{raw} IS NOT NULL AND {value} IS NULL", column, name,
                  f"code not in the feed's code map ({', '.join(codes)})", reject)  # fmt: skip
        final = value
    else:
        final = ""
        b.passthrough[name] = column
    if mapping.required or name == "source_record_id":
        b.problem(f"{raw} IS NULL", column, name, "required value is blank", True)
    if final:
        b.final[name] = final
    if identifier:
        plan = SQL_PLANS[name](raw, f"_{name}_")
        b.add_levels(plan.levels)
        canonical = plan.result
        b.final[f"{name}_canonical"] = canonical
        reason = (
            "not a valid postcode, or a placeholder"
            if name == "postcode"
            else "fails its format or check, not used as evidence"
        )
        b.problem(f"{raw} IS NOT NULL AND {canonical} IS NULL", column, name, reason, False)


def _name_split_sql(raw: str) -> dict[str, str]:
    """forename, middle_names and surname from 'SURNAME, Forename Middle' or 'Forename Surname'."""
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


def compile_mapping(fmt: FeedFormat) -> CompiledMapping:
    """Compile a feed's mapping into a SELECT over table ``batch``.

    ``batch`` holds the cleaned partner columns the SQL needs, named by their aliases in
    ``inputs``, plus ``_row_number`` and ``_field_flags`` (the bits of ``checks`` each row
    fails). The SELECT yields ``row_number``, the computed canonical columns (in
    :func:`arrow_schema` order), ``warnings``, ``_mask``, a BIGINT whose bits mark the row's
    problems, ``_field_flags`` as given, and ``_record_hash``, a hash of the record id
    (equal ids, equal hashes).
    Fields in ``passthrough`` are taken from the cleaned columns directly, and ``source`` and
    ``extract_id`` are constants the caller adds. Every parsed value is computed once, level by
    level.
    """
    kinds = field_types(fmt.record)
    b = _Builder()
    for name, mapping in fmt.mappings.items():
        _add_field(b, name, mapping, kinds[name], fmt.record)
    if fmt.full_name:
        raw = b.raw_column(fmt.full_name.column)
        b.final.update(_name_split_sql(raw))
        b.problem(f"{raw} IS NULL", fmt.full_name.column, "full_name", "name is blank", False)
    if len(b.conditions) > MAX_PROBLEMS:
        raise ValueError(
            f"this mapping checks {len(b.conditions)} kinds of problem; at most {MAX_PROBLEMS}"
        )
    checks = field_checks(fmt)  # one per column, one more per name or id: at most 42 bits
    flagged = [
        Problem(check.bit, check.column, check.field, check.reason, True, in_flags=True)
        for check in checks
    ]
    b.final["row_number"] = "_row_number"
    record_id = b.raw_column(fmt.mappings["source_record_id"].column)
    mask = (
        " + ".join(
            f"(CASE WHEN {condition} THEN {1 << problem.bit} ELSE 0 END)"
            for condition, problem in b.conditions
        )
        or "0"
    )
    kinds_sql = []
    for schema_field in arrow_schema(fmt.record):
        if schema_field.name in b.final:
            expression = b.final[schema_field.name]
            sql_type = _duckdb_type(schema_field.name, kinds)
            name = quote_identifier(schema_field.name)
            kinds_sql.append(f"CAST({expression} AS {sql_type}) AS {name}")
    compiled = CompiledMapping("", [problem for _, problem in b.conditions] + flagged)
    raw_stage = "".join(f", {quote_identifier(alias)}" for alias in b.raw.values())
    query = f"SELECT _row_number, _field_flags{raw_stage} FROM batch"
    for level in b.levels:
        columns = ", ".join(f"{expression} AS {quote_identifier(alias)}"
                            for alias, expression in level.items())  # fmt: skip
        query = f"SELECT *, {columns} FROM ({query})"
    query = f"SELECT *, CAST(({mask}) AS BIGINT) AS _mask FROM ({query})"
    select = (
        f"SELECT {', '.join(kinds_sql)}, {warnings_sql(compiled)} AS warnings, _mask, "
        f"_field_flags, hash({record_id}) AS _record_hash FROM ({query})"
    )
    return CompiledMapping(select, compiled.problems, dict(b.raw), dict(b.passthrough), checks)


def warnings_sql(compiled: CompiledMapping) -> str:
    """SQL for the ``warnings`` list of an accepted row, from its ``_mask``."""
    warning_problems = [p for p in compiled.problems if not p.reject]
    if not warning_problems:
        return "[]::VARCHAR[]"
    warn_mask = sum(1 << p.bit for p in warning_problems)
    items = ", ".join(
        f"CASE WHEN (_mask >> {p.bit}) & 1 = 1 THEN {quote_literal(p.label)} END"
        for p in warning_problems
    )
    return (
        f"CASE WHEN _mask & {warn_mask} = 0 THEN []::VARCHAR[] "
        f"ELSE list_filter([{items}], lambda w: w IS NOT NULL) END"
    )


def _duckdb_type(name: str, kinds: dict[str, str]) -> str:
    return {"date": "DATE", "integer": "BIGINT", "boolean": "BOOLEAN"}.get(kinds[name], "VARCHAR")
