"""UK identifiers: validation and canonical form, for one value (Python) and in bulk (DuckDB SQL).

Each identifier has a Python function ``canonical_<kind>(text) -> str | None`` that returns the
canonical form of a valid value and ``None`` for anything malformed, failing its check, or a known
placeholder; and a SQL builder ``<kind>_sql(expr)`` that computes the same thing in DuckDB for the
columnar ingest path. Tests hold the two to each other.

Facts (also in docs/feeds.md):
- NHS number: 10 digits; digits 1-9 weighted 10..2, sum mod 11, check = 11 - remainder
  (11 -> 0, 10 -> invalid).
- PNC ID: canonical ``YYYY/NNNNNNNC``; also ``YY/N...C`` and without the slash. Check letter
  ``ALPHABET[int(YY + serial padded to 7) % 23]``. A two-digit year up to this year's is 20YY.
- CRO number: ``NNNNNN/YYC`` or ``SFYY/NNNNNNC``;
  check ``ALPHABET[int(YY + serial padded to 6) % 23]``.
  Serial zero (``000000/00Z``) is a placeholder.
- CRN: ``^[A-Z]\\d{6}$``. NOMIS prison number: ``^[A-Z]\\d{4}[A-Z]{2}$``.
- Postcode: outward code (2-4 characters), space, inward code (digit letter letter).
"""

from __future__ import annotations

import datetime
import functools
import re
from collections.abc import Callable
from dataclasses import dataclass

CHECK_ALPHABET = "ZABCDEFGHJKLMNPQRTUVWXY"
POSTCODE_PLACEHOLDERS = frozenset({"NF1 1NF", "ZZ99 3VZ", "ZZ99 3WZ"})
_NHS_WEIGHTS = range(10, 1, -1)
_PNC_SLASH = re.compile(r"^(\d{2}|\d{4})/(\d{1,7})([A-Z])\Z", re.ASCII)
_PNC_LONG_BARE = re.compile(r"^(\d{4})(\d{7})([A-Z])\Z", re.ASCII)
_PNC_SHORT_BARE = re.compile(r"^(\d{2})(\d{1,7})([A-Z])\Z", re.ASCII)
_CRO_STD = re.compile(r"^(\d{1,6})/(\d{2})([A-Z])\Z", re.ASCII)
_CRO_SF = re.compile(r"^SF(\d{2})/(\d{1,6})([A-Z])\Z", re.ASCII)
_CRN = re.compile(r"^[A-Z]\d{6}\Z", re.ASCII)
_NOMIS = re.compile(r"^[A-Z]\d{4}[A-Z]{2}\Z", re.ASCII)
_POSTCODE = re.compile(r"^([A-Z]{1,2}\d[A-Z\d]?)(\d[A-Z]{2})\Z", re.ASCII)


def _squash(text: str | None, separators: str = " -") -> str:
    """Upper-case with separators removed; non-ASCII text becomes '' (never a valid id)."""
    value = text or ""
    if not value.isascii():
        return ""
    for separator in separators:
        value = value.replace(separator, "")
    return value.upper()


def _century_year(two_digits: str, today: datetime.date | None = None) -> int:
    now = (today or datetime.date.today()).year
    yy = int(two_digits)
    return 2000 + yy if yy <= now % 100 else 1900 + yy


def canonical_nhs_number(text: str | None) -> str | None:
    """Return the 10-digit NHS number, or None when malformed or the check digit fails."""
    digits = _squash(text)
    if not re.fullmatch(r"\d{10}", digits, re.ASCII):
        return None
    total = sum(int(d) * w for d, w in zip(digits[:9], _NHS_WEIGHTS, strict=True))
    check = 11 - total % 11
    if check == 11:
        check = 0
    if check == 10 or check != int(digits[9]):
        return None
    return digits


def canonical_pnc_id(text: str | None, today: datetime.date | None = None) -> str | None:
    """Return the PNC ID as ``YYYY/NNNNNNNC``, or None when malformed or the check letter fails."""
    value = _squash(text)
    match = _PNC_SLASH.match(value) or _PNC_LONG_BARE.match(value) or _PNC_SHORT_BARE.match(value)
    if not match:
        return None
    year_text, serial_text, letter = match.groups()
    year = int(year_text) if len(year_text) == 4 else _century_year(year_text, today)
    serial = int(serial_text)
    if serial == 0:
        return None
    expected = CHECK_ALPHABET[int(f"{year % 100:02d}{serial:07d}") % 23]
    if letter != expected:
        return None
    return f"{year:04d}/{serial:07d}{letter}"


def canonical_cro_number(text: str | None) -> str | None:
    """Return the CRO number as ``NNNNNN/YYC`` or ``SFYY/NNNNNNC``; None if invalid."""
    value = _squash(text)
    if match := _CRO_STD.match(value):
        serial_text, yy, letter = match.groups()
        form = "{serial:06d}/{yy}{letter}"
    elif match := _CRO_SF.match(value):
        yy, serial_text, letter = match.groups()
        form = "SF{yy}/{serial:06d}{letter}"
    else:
        return None
    serial = int(serial_text)
    if serial == 0 or letter != CHECK_ALPHABET[int(f"{yy}{serial:06d}") % 23]:
        return None
    return form.format(serial=serial, yy=yy, letter=letter)


def canonical_crn(text: str | None) -> str | None:
    """Return the probation case reference number (letter and six digits), or None."""
    value = _squash(text)
    return value if _CRN.match(value) else None


def canonical_nomis_number(text: str | None) -> str | None:
    """Return the NOMIS prison number (e.g. ``A1234BC``), or None."""
    value = _squash(text)
    return value if _NOMIS.match(value) else None


def canonical_postcode(text: str | None) -> str | None:
    """Return the postcode upper-cased with one space before the inward code, or None.

    Placeholders such as ``NF1 1NF`` (no fixed abode) return None: they are not an address.
    """
    value = _squash(text, " ")
    match = _POSTCODE.match(value)
    if not match:
        return None
    postcode = f"{match.group(1)} {match.group(2)}"
    return None if postcode in POSTCODE_PLACEHOLDERS else postcode


CANONICALISERS: dict[str, Callable[[str | None], str | None]] = {
    "nhs_number": canonical_nhs_number,
    "pnc_id": canonical_pnc_id,
    "cro_number": canonical_cro_number,
    "crn": canonical_crn,
    "nomis_number": canonical_nomis_number,
    "postcode": canonical_postcode,
}


# --- DuckDB SQL: the same rules, columnar -------------------------------------------------------
# Each rule is a plan of cheap projections evaluated level by level (a level may use the aliases
# of the levels before it), so every piece is computed once per row with no per-row lists,
# structs or capturing regexes: one regexp_full_match decides the shape, slicing does the rest.


@dataclass(frozen=True)
class SqlPlan:
    """Projection levels that compute a canonical identifier; ``result`` names the output."""

    levels: list[dict[str, str]]
    result: str


def _squash_sql(raw: str, separators: str = " -") -> str:
    value = raw
    for separator in separators:
        value = f"replace({value}, '{separator}', '')"
    # strlen counts bytes, length characters: equal only for ASCII text, as in Python.
    return f"(CASE WHEN strlen({raw}) = length({raw}) THEN upper({value}) ELSE '' END)"


_CHECK_LETTERS_SQL = "[" + ", ".join(f"'{letter}'" for letter in CHECK_ALPHABET) + "]"


def _check_letter_sql(two_digit_year: str, serial: str, serial_digits: int) -> str:
    index = f"(({two_digit_year}) * {10**serial_digits} + ({serial})) % 23"
    return f"{_CHECK_LETTERS_SQL}[CAST({index} AS INTEGER) + 1]"


def _with_fast_path(
    plan: SqlPlan,
    raw: str,
    p: str,
    shape: str,
    value: str,
    fast_values: dict[str, str] | None = None,
) -> SqlPlan:
    """The plan, answering values already in canonical ``shape`` with ``value`` directly.

    Extracts mostly hold identifiers already written canonically: for those rows one match on
    the raw text and the check decide; the general levels run only for the other rows (DuckDB
    evaluates a CASE branch only for the rows that take it). ``fast_values`` are computed once
    for the canonical rows, before ``value``, which may use them.
    """
    fast = f"{p}fast"
    general = [
        {alias: f"CASE WHEN NOT {fast} THEN {body} END" for alias, body in level.items()}
        for level in plan.levels
    ]
    fast_levels = (fast_values or {}).items()
    general[0] = {**{alias: f"CASE WHEN {fast} THEN {body} END" for alias, body in fast_levels},
                  **general[0]}  # fmt: skip
    return SqlPlan(
        [{fast: f"regexp_full_match({raw}, '{shape}')"}, *general,
         {f"{p}final": f"CASE WHEN {fast} THEN {value} ELSE {plan.result} END"}],
        f"{p}final",
    )  # fmt: skip


def _checked_fast_path(
    plan: SqlPlan, raw: str, p: str, shape: str, year_text: str, serial_text: str, digits: int
) -> SqlPlan:
    """The plan with a fast path for a PNC ID or CRO number already in canonical ``shape``:
    ``raw`` itself when its serial is not zero and its last character is the check letter."""
    serial = f"{p}fast_serial"
    letter = _check_letter_sql(f"CAST({year_text} AS INTEGER)", serial, digits)
    value = f"CASE WHEN {serial} > 0 AND ends_with({raw}, {letter}) THEN {raw} END"
    return _with_fast_path(plan, raw, p, shape, value, {serial: f"CAST({serial_text} AS BIGINT)"})


def nhs_number_plan(raw: str, p: str) -> SqlPlan:
    """Plan for :func:`canonical_nhs_number` over the text column ``raw``; aliases start ``p``."""
    w = f"{p}w"
    plan = SqlPlan(
        [
            {w: _squash_sql(raw)},
            {f"{p}ok": f"regexp_full_match({w}, '\\d{{10}}')"},
            {f"{p}out": f"CASE WHEN {p}ok THEN {_nhs_valid_sql(w)} END"},
        ],
        f"{p}out",
    )  # fmt: skip
    return _with_fast_path(plan, raw, p, r"\d{10}", _nhs_valid_sql(raw))


def _nhs_valid_sql(digits: str) -> str:
    """The ten ``digits`` when their mod-11 check digit holds, else NULL.

    The check digit is right exactly when the weighted sum with the check digit at weight 1 is a
    multiple of 11 (a check digit of 10 can never satisfy it, as the rule requires). The digits
    are taken arithmetically from one cast: string slicing costs far more per row.
    """
    number = f"TRY_CAST({digits} AS BIGINT)"
    weighted = " + ".join(
        f"({number} // {10 ** (9 - i)} % 10) * {k}" for i, k in enumerate([*_NHS_WEIGHTS, 1])
    )
    return f"CASE WHEN ({weighted}) % 11 = 0 THEN {digits} END"


def pnc_id_plan(raw: str, p: str, today: datetime.date | None = None) -> SqlPlan:
    """Plan for :func:`canonical_pnc_id`."""
    yy_now = (today or datetime.date.today()).year % 100
    w, ok, slash, n = f"{p}w", f"{p}ok", f"{p}slash", f"{p}n"
    shape = r"(\d{2}|\d{4})/\d{1,7}[A-Z]|\d{11}[A-Z]|\d{3,9}[A-Z]"
    year_text = (
        f"CASE WHEN NOT {ok} THEN NULL WHEN {slash} > 0 THEN left({w}, {slash} - 1) "
        f"WHEN {n} = 12 THEN left({w}, 4) ELSE left({w}, 2) END"
    )
    serial_text = (
        f"CASE WHEN NOT {ok} THEN NULL WHEN {slash} > 0 THEN substr({w}, {slash} + 1, "
        f"{n} - {slash} - 1) WHEN {n} = 12 THEN substr({w}, 5, 7) ELSE substr({w}, 3, {n} - 3) END"
    )
    y, s, c = f"{p}y", f"{p}s", f"{p}c"
    year = (
        f"CASE WHEN len({p}yt) = 4 THEN {y} "
        f"WHEN {y} <= {yy_now} THEN 2000 + {y} ELSE 1900 + {y} END"
    )
    plan = SqlPlan(
        [
            {w: _squash_sql(raw)},
            {ok: f"regexp_full_match({w}, '{shape}')", slash: f"strpos({w}, '/')", n: f"len({w})"},
            {f"{p}yt": year_text, f"{p}st": serial_text, c: f"right({w}, 1)"},
            {y: f"CAST({p}yt AS INTEGER)", s: f"CAST({p}st AS BIGINT)"},
            {f"{p}out": f"CASE WHEN {s} > 0 AND {c} = {_check_letter_sql(f'{y} % 100', s, 7)} "
             f"THEN lpad(CAST({year} AS VARCHAR), 4, '0') || '/' || "
             f"lpad(CAST({s} AS VARCHAR), 7, '0') || {c} END"},
        ],
        f"{p}out",
    )  # fmt: skip
    return _checked_fast_path(plan, raw, p, r"\d{4}/\d{7}[A-Z]", f"substr({raw}, 3, 2)",
                              f"substr({raw}, 6, 7)", 7)  # fmt: skip


def cro_number_plan(raw: str, p: str) -> SqlPlan:
    """Plan for :func:`canonical_cro_number`."""
    w, ok, sf, slash = f"{p}w", f"{p}ok", f"{p}sf", f"{p}slash"
    shape = r"\d{1,6}/\d{2}[A-Z]|SF\d{2}/\d{1,6}[A-Z]"
    yy, s, c = f"{p}yy", f"{p}s", f"{p}c"
    padded = f"lpad(CAST({s} AS VARCHAR), 6, '0')"
    plan = SqlPlan(
        [
            {w: _squash_sql(raw)},
            {ok: f"regexp_full_match({w}, '{shape}')", sf: f"starts_with({w}, 'SF')",
             slash: f"strpos({w}, '/')"},
            {yy: f"CASE WHEN NOT {ok} THEN NULL WHEN {sf} THEN substr({w}, 3, 2) "
             f"ELSE substr({w}, {slash} + 1, 2) END",
             f"{p}st": f"CASE WHEN NOT {ok} THEN NULL WHEN {sf} THEN substr({w}, 6, len({w}) - 6) "
             f"ELSE left({w}, {slash} - 1) END",
             c: f"right({w}, 1)"},
            {s: f"CAST({p}st AS BIGINT)"},
            {f"{p}out": f"CASE WHEN {s} > 0 AND {c} = "
             f"{_check_letter_sql(f'CAST({yy} AS INTEGER)', s, 6)} THEN CASE WHEN {sf} THEN "
             f"'SF' || {yy} || '/' || {padded} || {c} ELSE {padded} || '/' || {yy} || {c} END END"},
        ],
        f"{p}out",
    )  # fmt: skip
    return _checked_fast_path(plan, raw, p, r"\d{6}/\d{2}[A-Z]", f"substr({raw}, 8, 2)",
                              f"left({raw}, 6)", 6)  # fmt: skip


def _pattern_plan(raw: str, p: str, pattern: str) -> SqlPlan:
    w = f"{p}w"
    return SqlPlan(
        [{w: _squash_sql(raw)}, {f"{p}out": f"CASE WHEN regexp_full_match({w}, '{pattern}') "
                                            f"THEN {w} END"}],
        f"{p}out",
    )  # fmt: skip


def crn_plan(raw: str, p: str) -> SqlPlan:
    """Plan for :func:`canonical_crn`."""
    return _pattern_plan(raw, p, r"[A-Z]\d{6}")


def nomis_number_plan(raw: str, p: str) -> SqlPlan:
    """Plan for :func:`canonical_nomis_number`."""
    return _pattern_plan(raw, p, r"[A-Z]\d{4}[A-Z]{2}")


_OUTWARD, _INWARD = r"[A-Z]{1,2}\d[A-Z\d]?", r"\d[A-Z]{2}"
_POSTCODE_SHAPE = _OUTWARD + _INWARD


def postcode_plan(raw: str, p: str) -> SqlPlan:
    """Plan for :func:`canonical_postcode`."""
    w = f"{p}w"
    placeholders = ", ".join(f"'{code.replace(' ', '')}'" for code in sorted(POSTCODE_PLACEHOLDERS))
    plan = SqlPlan(
        [
            {w: _squash_sql(raw, " ")},
            {f"{p}out": f"CASE WHEN regexp_full_match({w}, '{_POSTCODE_SHAPE}') "
             f"AND {w} NOT IN ({placeholders}) THEN left({w}, len({w}) - 3) || ' ' || "
             f"right({w}, 3) END"},
        ],
        f"{p}out",
    )  # fmt: skip
    with_space = ", ".join(f"'{code}'" for code in sorted(POSTCODE_PLACEHOLDERS))
    fast = f"CASE WHEN {raw} NOT IN ({with_space}) THEN {raw} END"
    return _with_fast_path(plan, raw, p, f"{_OUTWARD} {_INWARD}", fast)


SQL_PLANS: dict[str, Callable[[str, str], SqlPlan]] = {
    "nhs_number": nhs_number_plan,
    "pnc_id": pnc_id_plan,
    "cro_number": cro_number_plan,
    "crn": crn_plan,
    "nomis_number": nomis_number_plan,
    "postcode": postcode_plan,
}


def plan_query(plan: SqlPlan, table: str, keep: str = "*") -> str:
    """A SELECT over ``table`` adding the plan's levels; yields ``keep`` and the result."""
    query = f"SELECT * FROM {table}"
    for level in plan.levels:
        columns = ", ".join(f"{expression} AS {alias}" for alias, expression in level.items())
        query = f"SELECT *, {columns} FROM ({query})"
    return f"SELECT {keep}, {plan.result} FROM ({query})"


def canonical_sql(kind: str, expression: str) -> str:
    """One scalar SQL expression for a rule (the plan's levels inlined).

    For small tables and checks; the columnar ingest uses the plan's levels directly.
    """
    plan = SQL_PLANS[kind](expression, f"_{kind}_")
    inlined: dict[str, str] = {}
    for level in plan.levels:
        for alias, body in level.items():
            if inlined:
                names = "|".join(sorted(map(re.escape, inlined), key=len, reverse=True))
                body = re.sub(rf"\b({names})\b", lambda m: f"({inlined[m.group(1)]})", body)
            inlined[alias] = body
    return inlined[plan.result]


SQL_CANONICALISERS: dict[str, Callable[[str], str]] = {
    kind: functools.partial(canonical_sql, kind) for kind in SQL_PLANS
}
"""Per identifier kind, a function from a text expression to its canonical-form expression."""
