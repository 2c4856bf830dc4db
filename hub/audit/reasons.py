"""The check of a person's free-text reason before it enters the audit log, which can never be
edited: NHS numbers, dates of birth and postcodes are refused with a message saying what to
write instead.

What counts:

- an NHS number: ten digits (spaces or hyphens allowed, as ``943 476 5919``) whose check digit
  holds;
- a date of birth: a date labelled as one (``DOB``, ``d.o.b.``, ``born``, ``date of birth``,
  ``birth date``), or any full date at least :data:`BIRTH_DATE_YEARS` years ago (events a
  reason cites are recent; a date that old is most likely someone's birth);
- a postcode: a full UK postcode (outward and inward code, e.g. ``TR1 1AA``, any case).

Dates are read as day-month-year (``01/02/1990``, ``1-2-1990``, ``1.2.1990``, ``1 Feb 1990``,
``1 February 1990``) or ISO (``1990-02-01``).
"""

from __future__ import annotations

import datetime
import re

from hub.errors import PersonalDataInReason
from schemas.identifiers import canonical_nhs_number, canonical_postcode

BIRTH_DATE_YEARS = 10
"""A full date at least this many years before today is taken for a date of birth."""

_NHS = re.compile(r"(?<![\d])(\d{3})[ -]?(\d{3})[ -]?(\d{4})(?![\d])")
_POSTCODE = re.compile(r"\b([A-Z]{1,2}\d[A-Z\d]?) ?(\d[A-Z]{2})\b", re.IGNORECASE)
_MONTH_NAMES = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_MONTHS = {name: number for number, name in enumerate(_MONTH_NAMES, start=1)}
_DAY_MONTH_YEAR = re.compile(r"(?<![\d])(\d{1,2})[/.-](\d{1,2})[/.-](\d{4}|\d{2})(?![\d])")
_ISO = re.compile(r"(?<![\d])(\d{4})-(\d{2})-(\d{2})(?![\d])")
_WRITTEN = re.compile(r"(?<![\d])(\d{1,2})(?:st|nd|rd|th)? ([A-Za-z]{3,9})\.? (\d{4})(?![\d])")
_BIRTH_LABEL = re.compile(
    r"(d\.?\s?o\.?\s?b\.?|born|date of birth|birth ?date|birthday)\W{0,3}(on\W{0,2})?$",
    re.IGNORECASE,
)

ADVICE = "write a case reference instead; the audit log can never be edited afterwards"


def personal_data_in(text: str, today: datetime.date | None = None) -> str | None:
    """What kind of personal data ``text`` holds ('an NHS number', 'a date of birth',
    'a postcode'), or None when it holds none of them."""
    if any(canonical_nhs_number("".join(match.groups())) for match in _NHS.finditer(text)):
        return "an NHS number"
    today = today or datetime.date.today()
    for start, date, two_digit_year in _dates(text):
        labelled = bool(_BIRTH_LABEL.search(text[max(0, start - 20) : start]))
        years_ago = today.year - date.year - ((today.month, today.day) < (date.month, date.day))
        if labelled or (not two_digit_year and years_ago >= BIRTH_DATE_YEARS):
            return "a date of birth"
    if any(canonical_postcode(" ".join(match.groups())) for match in _POSTCODE.finditer(text)):
        return "a postcode"
    return None


def refuse_personal_data(reason: str | None, what: str = "an audit reason") -> None:
    """Raise PersonalDataInReason naming what ``reason`` holds when it carries personal data."""
    if not reason:
        return
    found = personal_data_in(reason)
    if found:
        raise PersonalDataInReason(
            f"{what} may not hold personal data, and this one looks like it holds {found}",
            hint=ADVICE,
        )


def _dates(text: str) -> list[tuple[int, datetime.date, bool]]:
    """Every date written in ``text``: (where it starts, the date, whether its year had two
    digits)."""
    found: list[tuple[int, datetime.date, bool]] = []
    for match in _DAY_MONTH_YEAR.finditer(text):
        day, month, year = match.groups()
        short = len(year) == 2
        full_year = (1900 if int(year) > datetime.date.today().year % 100 else 2000) + int(year)
        _add(found, match.start(), full_year if short else int(year), int(month), int(day), short)
    for match in _ISO.finditer(text):
        year, month, day = (int(part) for part in match.groups())
        _add(found, match.start(), year, month, day, False)
    for match in _WRITTEN.finditer(text):
        day, month_name, year = match.groups()
        month = _MONTHS.get(month_name[:3].lower())
        if month is not None:
            _add(found, match.start(), int(year), month, int(day), False)
    return found


def _add(
    found: list[tuple[int, datetime.date, bool]],
    start: int,
    year: int,
    month: int,
    day: int,
    short: bool,
) -> None:
    try:
        found.append((start, datetime.date(year, month, day), short))
    except ValueError:
        return
