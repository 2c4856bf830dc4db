"""UK identifiers: validation and canonical form, for one value (Python) and in bulk (DuckDB SQL).

Each identifier has a Python function ``canonical_<kind>(text) -> str | None`` that returns the
canonical form of a valid value and ``None`` for anything malformed, failing its check, or a known
placeholder; and a SQL builder ``<kind>_sql(expr)`` that computes the same thing in DuckDB for the
columnar ingest path. Tests hold the two to each other.

Facts (see docs/identifiers.md):
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
import string
from collections.abc import Callable

CHECK_ALPHABET = "ZABCDEFGHJKLMNPQRTUVWXY"
POSTCODE_PLACEHOLDERS = frozenset({"NF1 1NF", "ZZ99 3VZ", "ZZ99 3WZ"})
_NHS_WEIGHTS = range(10, 1, -1)
_PNC_SLASH = re.compile(r"^(\d{2}|\d{4})/(\d{1,7})([A-Z])$", re.ASCII)
_PNC_LONG_BARE = re.compile(r"^(\d{4})(\d{7})([A-Z])$", re.ASCII)
_PNC_SHORT_BARE = re.compile(r"^(\d{2})(\d{1,7})([A-Z])$", re.ASCII)
_CRO_STD = re.compile(r"^(\d{1,6})/(\d{2})([A-Z])$", re.ASCII)
_CRO_SF = re.compile(r"^SF(\d{2})/(\d{1,6})([A-Z])$", re.ASCII)
_CRN = re.compile(r"^[A-Z]\d{6}$", re.ASCII)
_NOMIS = re.compile(r"^[A-Z]\d{4}[A-Z]{2}$", re.ASCII)
_POSTCODE = re.compile(r"^([A-Z]{1,2}\d[A-Z\d]?)(\d[A-Z]{2})$", re.ASCII)
_SEPARATORS = r"[\t\n\f\r -]"
_SPACES = r"[\t\n\f\r ]"
_ASCII_UPPER = str.maketrans(string.ascii_lowercase, string.ascii_uppercase)


def _upper(text: str) -> str:
    """Upper-case ASCII letters only (as the SQL does), so 'ſ' never becomes 'S'."""
    return text.translate(_ASCII_UPPER)


def _squash(text: str | None) -> str:
    return _upper(re.sub(_SEPARATORS, "", text or ""))


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
    value = _upper(re.sub(_SPACES, "", text or ""))
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


def _let(value_sql: str, name: str, body_sql: str) -> str:
    """Bind ``value_sql`` to ``name`` once per row inside ``body_sql`` (a DuckDB lambda)."""
    return f"list_transform([{value_sql}], lambda {name}: {body_sql})[1]"


def _sql_upper(expr: str) -> str:
    # DuckDB's upper() maps the two non-ASCII letters 'ı' and 'ſ' to ASCII; keep them out.
    return f"upper(replace(replace({expr}, 'ı', '?'), 'ſ', '?'))"


def _sql_alphabet_at(index_sql: str) -> str:
    return f"substr('{CHECK_ALPHABET}', CAST(({index_sql}) AS INTEGER) + 1, 1)"


def _sql_squash(expr: str) -> str:
    return _sql_upper(f"regexp_replace(coalesce({expr}, ''), '{_SEPARATORS}', '', 'g')")


def nhs_number_sql(expr: str) -> str:
    """SQL for :func:`canonical_nhs_number` applied to the text expression ``expr``."""
    weighted = " + ".join(
        f"CAST(substr(v, {i + 1}, 1) AS INTEGER) * {w}" for i, w in enumerate(_NHS_WEIGHTS)
    )
    check = f"(11 - (({weighted}) % 11)) % 11"
    body = (
        f"CASE WHEN regexp_full_match(v, '\\d{{10}}') THEN (CASE WHEN {check} <> 10 "
        f"AND {check} = CAST(substr(v, 10, 1) AS INTEGER) THEN v END) END"
    )
    return _let(_sql_squash(expr), "v", body)


def pnc_id_sql(expr: str, today: datetime.date | None = None) -> str:
    """SQL for :func:`canonical_pnc_id`."""
    yy_now = (today or datetime.date.today()).year % 100
    pattern = r"^(?:(\d{4})/?(\d{7})|(\d{2})/(\d{1,7})|(\d{2})(\d{1,7}))([A-Z])$"
    yy = "CAST(coalesce(nullif(s.c, ''), s.e) AS INTEGER)"
    year = (
        f"CASE WHEN s.a <> '' THEN CAST(s.a AS INTEGER) "
        f"ELSE (CASE WHEN {yy} <= {yy_now} THEN 2000 ELSE 1900 END) + {yy} END"
    )
    serial = "CAST(coalesce(nullif(s.b, ''), nullif(s.d, ''), s.f) AS BIGINT)"
    check = _sql_alphabet_at(f"(({year}) % 100 * 10000000 + {serial}) % 23")
    body = (
        f"CASE WHEN len(s.g) = 1 THEN (CASE WHEN {serial} > 0 AND s.g = {check} "
        f"THEN lpad(CAST({year} AS VARCHAR), 4, '0') || '/' || "
        f"lpad(CAST({serial} AS VARCHAR), 7, '0') || s.g END) END"
    )
    extract = f"regexp_extract({_sql_squash(expr)}, '{pattern}', ['a','b','c','d','e','f','g'])"
    return _let(extract, "s", body)


def cro_number_sql(expr: str) -> str:
    """SQL for :func:`canonical_cro_number`."""
    pattern = r"^(?:(\d{1,6})/(\d{2})|SF(\d{2})/(\d{1,6}))([A-Z])$"
    serial = "CAST(coalesce(nullif(s.a, ''), s.d) AS BIGINT)"
    yy = "coalesce(nullif(s.b, ''), s.c)"
    check = _sql_alphabet_at(f"(CAST({yy} AS INTEGER) * 1000000 + {serial}) % 23")
    padded = f"lpad(CAST({serial} AS VARCHAR), 6, '0')"
    body = (
        f"CASE WHEN len(s.e) = 1 THEN (CASE WHEN {serial} > 0 AND s.e = {check} THEN "
        f"CASE WHEN s.a <> '' THEN {padded} || '/' || s.b || s.e "
        f"ELSE 'SF' || s.c || '/' || {padded} || s.e END END) END"
    )
    extract = f"regexp_extract({_sql_squash(expr)}, '{pattern}', ['a','b','c','d','e'])"
    return _let(extract, "s", body)


def crn_sql(expr: str) -> str:
    """SQL for :func:`canonical_crn`."""
    return _let(_sql_squash(expr), "v", "CASE WHEN regexp_full_match(v, '[A-Z]\\d{6}') THEN v END")


def nomis_number_sql(expr: str) -> str:
    """SQL for :func:`canonical_nomis_number`."""
    body = "CASE WHEN regexp_full_match(v, '[A-Z]\\d{4}[A-Z]{2}') THEN v END"
    return _let(_sql_squash(expr), "v", body)


def postcode_sql(expr: str) -> str:
    """SQL for :func:`canonical_postcode`."""
    placeholders = ", ".join(f"'{p}'" for p in sorted(POSTCODE_PLACEHOLDERS))
    spaced = "substr(v, 1, len(v) - 3) || ' ' || substr(v, len(v) - 2)"
    body = (
        f"CASE WHEN regexp_full_match(v, '[A-Z]{{1,2}}\\d[A-Z\\d]?\\d[A-Z]{{2}}') "
        f"AND {spaced} NOT IN ({placeholders}) THEN {spaced} END"
    )
    squashed = _sql_upper(f"regexp_replace(coalesce({expr}, ''), '{_SPACES}', '', 'g')")
    return _let(squashed, "v", body)


SQL_CANONICALISERS: dict[str, Callable[[str], str]] = {
    "nhs_number": nhs_number_sql,
    "pnc_id": pnc_id_sql,
    "cro_number": cro_number_sql,
    "crn": crn_sql,
    "nomis_number": nomis_number_sql,
    "postcode": postcode_sql,
}
