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
import re
from collections.abc import Callable

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
# Cheap string functions over one squashed value (bound once per row by a lambda); a single
# regexp_full_match decides the shape, so no capturing regex runs per row.


def _let(value_sql: str, name: str, body_sql: str) -> str:
    """Bind ``value_sql`` to ``name`` once per row inside ``body_sql`` (a DuckDB lambda)."""
    return f"list_transform([{value_sql}], lambda {name}: {body_sql})[1]"


def _sql_squash(expr: str, separators: str = " -") -> str:
    value = expr
    for separator in separators:
        value = f"replace({value}, '{separator}', '')"
    # strlen counts bytes, length characters: equal only for ASCII text, as in Python.
    return f"(CASE WHEN strlen({expr}) = length({expr}) THEN upper({value}) ELSE '' END)"


def _sql_check_letter(two_digit_year: str, serial: str, serial_digits: int) -> str:
    index = f"(({two_digit_year}) * {10**serial_digits} + ({serial})) % 23"
    return f"substr('{CHECK_ALPHABET}', CAST({index} AS INTEGER) + 1, 1)"


def nhs_number_sql(expr: str) -> str:
    """SQL for :func:`canonical_nhs_number` applied to the text expression ``expr``."""
    weighted = " + ".join(
        f"(ascii(substr(_w, {i + 1}, 1)) - 48) * {w}" for i, w in enumerate(_NHS_WEIGHTS)
    )
    check = f"(11 - (({weighted}) % 11)) % 11"
    body = (
        f"CASE WHEN regexp_full_match(_w, '\\d{{10}}') AND {check} <> 10 "
        f"AND {check} = ascii(right(_w, 1)) - 48 THEN _w END"
    )
    return _let(_sql_squash(expr), "_w", body)


def pnc_id_sql(expr: str, today: datetime.date | None = None) -> str:
    """SQL for :func:`canonical_pnc_id`."""
    yy_now = (today or datetime.date.today()).year % 100
    shape = r"(\d{2}|\d{4})/\d{1,7}[A-Z]|\d{11}[A-Z]|\d{3,9}[A-Z]"
    slash = "strpos(_w, '/')"
    year_text = (
        f"CASE WHEN {slash} > 0 THEN left(_w, {slash} - 1) "
        "WHEN len(_w) = 12 THEN left(_w, 4) ELSE left(_w, 2) END"
    )
    serial_text = (
        f"CASE WHEN {slash} > 0 THEN substr(_w, {slash} + 1, len(_w) - {slash} - 1) "
        "WHEN len(_w) = 12 THEN substr(_w, 5, 7) ELSE substr(_w, 3, len(_w) - 3) END"
    )
    body = (
        f"CASE WHEN regexp_full_match(_w, '{shape}') THEN "
        + _let(
            f"{{'y': CAST({year_text} AS INTEGER), 'four': len({year_text}) = 4, "
            f"'s': CAST({serial_text} AS BIGINT), 'c': right(_w, 1)}}",
            "_q",
            "CASE WHEN _q.s > 0 AND _q.c = "
            + _sql_check_letter("_q.y % 100", "_q.s", 7)
            + " THEN lpad(CAST(CASE WHEN _q.four THEN _q.y WHEN _q.y <= "
            f"{yy_now} THEN 2000 + _q.y ELSE 1900 + _q.y END AS VARCHAR), 4, '0') || '/' || "
            "lpad(CAST(_q.s AS VARCHAR), 7, '0') || _q.c END",
        )
        + " END"
    )
    return _let(_sql_squash(expr), "_w", body)


def cro_number_sql(expr: str) -> str:
    """SQL for :func:`canonical_cro_number`."""
    shape = r"\d{1,6}/\d{2}[A-Z]|SF\d{2}/\d{1,6}[A-Z]"
    sf = "starts_with(_w, 'SF')"
    year_text = f"CASE WHEN {sf} THEN substr(_w, 3, 2) ELSE substr(_w, strpos(_w, '/') + 1, 2) END"
    serial_text = (
        f"CASE WHEN {sf} THEN substr(_w, 6, len(_w) - 6) ELSE left(_w, strpos(_w, '/') - 1) END"
    )
    padded = "lpad(CAST(_q.s AS VARCHAR), 6, '0')"
    body = (
        f"CASE WHEN regexp_full_match(_w, '{shape}') THEN "
        + _let(
            f"{{'yy': {year_text}, 's': CAST({serial_text} AS BIGINT), 'c': right(_w, 1), "
            f"'sf': {sf}}}",
            "_q",
            "CASE WHEN _q.s > 0 AND _q.c = "
            + _sql_check_letter("CAST(_q.yy AS INTEGER)", "_q.s", 6)
            + f" THEN CASE WHEN _q.sf THEN 'SF' || _q.yy || '/' || {padded} || _q.c "
            f"ELSE {padded} || '/' || _q.yy || _q.c END END",
        )
        + " END"
    )
    return _let(_sql_squash(expr), "_w", body)


def crn_sql(expr: str) -> str:
    """SQL for :func:`canonical_crn`."""
    return _let(
        _sql_squash(expr), "_w", "CASE WHEN regexp_full_match(_w, '[A-Z]\\d{6}') THEN _w END"
    )


def nomis_number_sql(expr: str) -> str:
    """SQL for :func:`canonical_nomis_number`."""
    body = "CASE WHEN regexp_full_match(_w, '[A-Z]\\d{4}[A-Z]{2}') THEN _w END"
    return _let(_sql_squash(expr), "_w", body)


def postcode_sql(expr: str) -> str:
    """SQL for :func:`canonical_postcode`."""
    placeholders = ", ".join(f"'{p.replace(' ', '')}'" for p in sorted(POSTCODE_PLACEHOLDERS))
    body = (
        f"CASE WHEN regexp_full_match(_w, '[A-Z]{{1,2}}\\d[A-Z\\d]?\\d[A-Z]{{2}}') "
        f"AND _w NOT IN ({placeholders}) THEN left(_w, len(_w) - 3) || ' ' || right(_w, 3) END"
    )
    return _let(_sql_squash(expr, " "), "_w", body)


SQL_CANONICALISERS: dict[str, Callable[[str], str]] = {
    "nhs_number": nhs_number_sql,
    "pnc_id": pnc_id_sql,
    "cro_number": cro_number_sql,
    "crn": crn_sql,
    "nomis_number": nomis_number_sql,
    "postcode": postcode_sql,
}
