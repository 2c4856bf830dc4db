"""Checks on whole partner values, done in Arrow on each block: too long, control characters.

A value longer than the feed's ``max_field_length`` (a document pasted into an address, a
broken export) and a NUL or other control character in a name or an identifier quarantine the
row. Each check is one bit of a row's ``_field_flags``; the mapping turns the bits into
problems (:mod:`schemas.mapping_sql`). A block whose values are all fine costs one length and
one byte scan per column: the exact, per-row test runs only on a column where one of them fires.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import pyarrow as pa
import pyarrow.compute as pc

from schemas.canonical import IDENTIFIER_FIELDS
from schemas.feed import FeedFormat

CONTROL_CHECKED_FIELDS = frozenset(
    {"source_record_id", *IDENTIFIER_FIELDS, "forename", "middle_names", "surname", "full_name"}
)
"""Canonical fields (names and identifiers) in which a control character quarantines the row."""
_CONTROL_PATTERN = "[\\x00-\\x1f\\x7f]"

CheckKind = Literal["too_long", "control"]


@dataclass(frozen=True)
class FieldCheck:
    """One check of one partner column; ``bit`` is its bit in ``_field_flags``."""

    bit: int
    column: str
    field: str
    kind: CheckKind
    max_length: int

    @property
    def reason(self) -> str:
        """What failed, never the value."""
        if self.kind == "too_long":
            return f"field too long (over {self.max_length:,} characters)"
        return "contains a control character (NUL, tab, line break or another)"


def field_checks(fmt: FeedFormat) -> list[FieldCheck]:
    """Every check the feed's columns get: length on each, control characters on names and ids."""
    fields_by_column: dict[str, str] = {}
    for name, mapping in fmt.mappings.items():
        fields_by_column.setdefault(mapping.column, name)
    if fmt.full_name:
        fields_by_column.setdefault(fmt.full_name.column, "full_name")
    wanted: list[tuple[str, str, CheckKind]] = [
        (column, field, "too_long") for column, field in fields_by_column.items()
    ]
    controlled = {m.column for name, m in fmt.mappings.items() if name in CONTROL_CHECKED_FIELDS}
    if fmt.full_name:
        controlled.add(fmt.full_name.column)
    wanted += [(c, f, "control") for c, f in fields_by_column.items() if c in controlled]
    return [
        FieldCheck(bit, column, field, kind, fmt.max_field_length)
        for bit, (column, field, kind) in enumerate(wanted)
    ]


def field_flags(columns: dict[str, pa.Array], checks: list[FieldCheck], rows: int) -> pa.Array:
    """Per row, an int64 whose bits mark the checks its values fail (mostly all zero)."""
    flags: pa.Array | None = None
    for check in checks:
        failing = _failing(columns[check.column], check)
        if failing is None:
            continue
        bits = pc.if_else(failing.fill_null(False), pa.scalar(1 << check.bit, pa.int64()),
                          pa.scalar(0, pa.int64()))  # fmt: skip
        flags = bits if flags is None else pc.bit_wise_or(flags, bits)
    return flags if flags is not None else pa.nulls(rows, pa.int64()).fill_null(0)


def _failing(values: pa.Array, check: FieldCheck) -> pa.Array | None:
    """Which values fail the check, or None when none does (the usual, cheap answer)."""
    if check.kind == "too_long":
        byte_lengths = pc.binary_length(values)
        longest = pc.max(byte_lengths).as_py()
        if longest is None or longest <= check.max_length:  # never more characters than bytes
            return None
        return pc.greater(pc.utf8_length(values), check.max_length)
    if not _may_hold_control(values):
        return None
    return pc.match_substring_regex(values, _CONTROL_PATTERN)


def _may_hold_control(values: pa.Array) -> bool:
    """Whether the bytes behind the values include one below 0x20 or 0x7F (over-approximate)."""
    data = values.buffers()[2]
    if data is None or data.size == 0:
        return False
    as_bytes = pa.Array.from_buffers(pa.uint8(), data.size, [None, data])
    bounds = pc.min_max(as_bytes).as_py()
    if bounds["min"] < 0x20:
        return True
    return bounds["max"] >= 0x7F and pc.any(pc.equal(as_bytes, 0x7F)).as_py()
