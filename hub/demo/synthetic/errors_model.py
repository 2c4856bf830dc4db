"""How partners get people wrong: each distortion drawn per record, at the rates partners show.

Most distortions are independent; two are not, because they are not in real extracts: a record
whose forename and surname were swapped is often misspelt too (a name read out and typed), and a
few records have both names misspelt. Dates of birth are one day, one year or one digit out, or
have day and month swapped. Everything is vectorised except misspellings, which touch a few
percent of rows in plain Python.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc

from hub.demo.synthetic import vocab
from hub.demo.synthetic.arrays import Draws, cat, change_digit, date_parts, format_date, where
from hub.demo.synthetic.identifiers import (
    CRO_PLACEHOLDER,
    check_letter_index,
    check_letters,
    cro_number,
    nhs_spaced,
    pnc_long,
    pnc_no_slash,
    pnc_short,
)
from hub.demo.synthetic.population import Address, People

DUPLICATE_BOOST = 3.0  # a second record of a person in one extract drifts more

_KEYBOARD = {
    "a": "sqz",
    "b": "vn",
    "c": "xv",
    "d": "sf",
    "e": "wr",
    "f": "dg",
    "g": "fh",
    "h": "gj",
    "i": "uo",
    "j": "hk",
    "k": "jl",
    "l": "k",
    "m": "n",
    "n": "bm",
    "o": "ip",
    "p": "o",
    "q": "w",
    "r": "et",
    "s": "ad",
    "t": "ry",
    "u": "yi",
    "v": "cb",
    "w": "qe",
    "x": "zc",
    "y": "tu",
    "z": "x",
}
_BAD_DATES = {
    "dmy": ("31/02/1990", "45/13/1990"),
    "iso": ("1990-13-45", "1990-02-31"),
    "compact": ("19901345", "19900231"),
    "mon": ("31-Feb-1990", "12-Abc-1990"),
}


def rate(base: float, duplicate: pa.Array) -> pa.Array:
    """A per-row rate: ``base``, boosted on a person's second record."""
    return pc.if_else(duplicate, base * DUPLICATE_BOOST, base)


def misspell(name: str, rnd: random.Random) -> str:
    """One typing slip: transposed, doubled, dropped or neighbouring letter."""
    spots = [i for i in range(1, len(name)) if name[i].isalpha()]
    if len(spots) < 3:
        return name + name[-1].lower()
    i = rnd.choice(spots[:-1])
    kind = rnd.randrange(4)
    if kind == 0 and name[i + 1].isalpha() and name[i] != name[i + 1]:
        return name[:i] + name[i + 1] + name[i] + name[i + 2 :]
    if kind == 2 and len(spots) > 3:
        return name[:i] + name[i + 1 :]
    if kind == 3 and name[i].lower() in _KEYBOARD:
        near = rnd.choice(_KEYBOARD[name[i].lower()])
        return name[:i] + (near.upper() if name[i].isupper() else near) + name[i + 1 :]
    return name[:i] + name[i] + name[i:]


def misspell_some(values: pa.Array, mask: pa.Array, seed: int) -> pa.Array:
    """Misspell the values where ``mask`` is true."""
    mask = pc.and_(pc.fill_null(mask, False), pc.is_valid(values))
    picked = pc.filter(values, mask).to_pylist()
    if not picked:
        return values
    rnd = random.Random(seed)
    return pc.replace_with_mask(values, mask, pa.array([misspell(v, rnd) for v in picked]))


@dataclass(frozen=True)
class NameRates:
    """Per-record rates of name distortions."""

    nickname: float = 0.04
    typo: float = 0.02
    swap: float = 0.015
    typo_when_swapped: float = 0.3  # one of the swapped names misspelt
    both_typos: float = 0.004  # forename and surname both misspelt
    other_surname: float = 0.35  # of people who have a maiden or married surname


def names(
    people: People, rows: pa.Array, d: Draws, dup: pa.Array, rates: NameRates
) -> tuple[pa.Array, pa.Array, pa.Array]:
    """Forename, middle name and surname as one partner recorded them (mixed case)."""
    first = people.forename.take(rows)
    slot = d.integers("nick.slot", 0, vocab.NICK_SLOTS)
    nick = vocab.NICKNAME_OF.take(pc.add(pc.multiply(first, vocab.NICK_SLOTS), slot))
    first = where(d.chance("nick", rate(rates.nickname, dup)), nick, first)
    surname = people.surname.take(rows)
    other = people.other_surname.take(rows)
    use_other = pc.and_(pc.is_valid(other), d.chance("other-surname", rates.other_surname))
    surname = where(use_other, other, surname)

    first_text = vocab.FORENAMES.take(first)
    middle_text = vocab.FORENAMES.take(people.middle.take(rows))
    surname_text = vocab.SURNAME_ARRAY.take(surname)
    swap = d.chance("swap", rate(rates.swap, dup))
    typo = where(swap, rates.typo_when_swapped / 2, rate(rates.typo, dup))
    both = d.chance("typo.both", rates.both_typos)
    typo_first = pc.or_(d.chance("typo.first", typo), both)
    typo_surname = pc.or_(d.chance("typo.sur", typo), both)
    first_text = misspell_some(first_text, typo_first, d.seed("typo.first"))
    surname_text = misspell_some(surname_text, typo_surname, d.seed("typo.sur"))
    return where(swap, surname_text, first_text), middle_text, where(swap, first_text, surname_text)


@dataclass(frozen=True)
class DateRates:
    """Per-record rates of date-of-birth distortions."""

    missing: float = 0.01
    day_month_swap: float = 0.015
    day_out: float = 0.015
    year_out: float = 0.02
    digit: float = 0.01  # last digit of the day or of the year keyed wrong
    year_only: float = 0.0  # written 01/01/YYYY
    unparseable: float = 0.001


def date_of_birth(dob: pa.Array, d: Draws, dup: pa.Array, style: str, rates: DateRates) -> pa.Array:
    """The date of birth as one partner wrote it, in ``style`` (see arrays.format_date)."""
    sign = pc.if_else(d.chance("dob.sign", 0.5), 1, -1)
    dob = where(d.chance("dob.day", rate(rates.day_out, dup)), pc.add(dob, sign), dob)
    year, month, day = date_parts(dob)
    year_out = d.chance("dob.year", rate(rates.year_out, dup))
    year = where(year_out, pc.add(year, sign), year)
    day = where(pc.and_(year_out, pc.and_(pc.equal(month, 2), pc.equal(day, 29))), 28, day)
    digit = d.chance("dob.digit", rate(rates.digit, dup))
    in_year = d.chance("dob.digit-year", 0.5)
    bump = d.integers("dob.digit-bump", 1, 10)
    year = where(pc.and_(digit, in_year), change_digit(year, 0, bump), year)
    day = where(
        pc.and_(digit, pc.invert(in_year)),
        pc.max_element_wise(pc.min_element_wise(change_digit(day, 0, bump), 28), 1),
        day,
    )
    swap = pc.and_(d.chance("dob.swap", rate(rates.day_month_swap, dup)), pc.less_equal(day, 12))
    day, month = where(swap, month, day), where(swap, day, month)
    year_only = d.chance("dob.year-only", rates.year_only)
    day, month = where(year_only, 1, day), where(year_only, 1, month)
    text = format_date(year, month, day, style)
    text = where(
        d.chance("dob.missing", rate(rates.missing, dup)), pa.scalar(None, pa.string()), text
    )
    bad = pa.array(_BAD_DATES[style]).take(d.integers("dob.bad-which", 0, 2))
    return where(d.chance("dob.bad", rates.unparseable), bad, text)


def address(people: People, rows: pa.Array, d: Draws, old_rate: float = 0.4) -> Address:
    """Current address, or for movers sometimes the previous one the partner still holds."""
    home, previous = people.home.take(rows), people.previous.take(rows)
    stale = pc.and_(pc.is_valid(previous.line1), d.chance("address.old", old_rate))
    return home.choose(stale, previous)


def postcode(addr: Address, d: Draws, no_space: float, lower: float = 0.0) -> pa.Array:
    """Postcode text, sometimes without its space or in lower case."""
    text = where(
        d.chance("postcode.no-space", no_space),
        cat(addr.district, addr.inward),
        cat(addr.district, " ", addr.inward),
    )
    return where(d.chance("postcode.lower", lower), pc.utf8_lower(text), text)


@dataclass(frozen=True)
class IdRates:
    """Per-record rates of identifier problems."""

    missing: float
    mistyped: float = 0.015  # one digit changed: the check fails
    bad_check: float = 0.01  # check letter or digit wrong


def _faults(
    d: Draws, name: str, mistyped: float | pa.Array, bad_check: float
) -> tuple[pa.Array, pa.Array]:
    """Rows with a changed digit and rows with a wrong check character, never both: a slip
    always fails the check, never lands on another valid identifier."""
    u = d.uniform(f"{name}.fault")
    typo = pc.less(u, mistyped)
    return typo, pc.and_(pc.invert(typo), pc.less(u, pc.add(mistyped, bad_check)))


def pnc(
    year: pa.Array,
    serial: pa.Array,
    d: Draws,
    dup: pa.Array,
    rates: IdRates,
    forms: tuple[float, float, float],
) -> pa.Array:
    """PNC ID text, in long, short and slash-less forms weighted by ``forms``."""
    letter = check_letter_index(year, serial, 7)
    typo, bad_check = _faults(d, "pnc", rate(rates.mistyped, dup), rates.bad_check)
    serial = where(
        typo,
        change_digit(serial, d.integers("pnc.pos", 0, 7), d.integers("pnc.bump", 1, 10)),
        serial,
    )
    letter = where(bad_check, pc.modulo(pc.add(letter, d.integers("pnc.shift", 1, 23)), 23), letter)
    letters = check_letters(letter)
    form = d.uniform("pnc.form")
    text = where(
        pc.less(form, forms[0]),
        pnc_long(year, serial, letters),
        where(
            pc.less(form, forms[0] + forms[1]),
            pnc_short(year, serial, letters),
            pnc_no_slash(year, serial, letters),
        ),
    )
    return where(
        d.chance("pnc.missing", rate(rates.missing, dup)), pa.scalar(None, pa.string()), text
    )


def cro(
    year: pa.Array, serial: pa.Array, d: Draws, dup: pa.Array, rates: IdRates, placeholder: float
) -> pa.Array:
    """CRO number text; the placeholder ``000000/00Z`` sometimes stands in for none."""
    letter = check_letter_index(year, serial, 6)
    typo, bad_check = _faults(d, "cro", rates.mistyped, rates.bad_check)
    serial = where(
        typo,
        change_digit(serial, d.integers("cro.pos", 0, 6), d.integers("cro.bump", 1, 10)),
        serial,
    )
    letter = where(bad_check, pc.modulo(pc.add(letter, d.integers("cro.shift", 1, 23)), 23), letter)
    text = cro_number(year, serial, check_letters(letter))
    text = where(
        d.chance("cro.missing", rate(rates.missing, dup)), pa.scalar(None, pa.string()), text
    )
    return where(
        pc.and_(pc.is_null(text), d.chance("cro.placeholder", placeholder)), CRO_PLACEHOLDER, text
    )


def nhs(number: pa.Array, d: Draws, dup: pa.Array, rates: IdRates, spaced: float) -> pa.Array:
    """NHS number text: sometimes spaced ``999 123 4567``, mistyped or with a wrong check digit.
    Mistypes keep the 999 prefix."""
    typo, bad_check = _faults(d, "nhs", rates.mistyped, rates.bad_check)
    number = where(
        typo,
        change_digit(number, d.integers("nhs.pos", 1, 7), d.integers("nhs.bump", 1, 10)),
        number,
    )
    number = where(bad_check, change_digit(number, 0, d.integers("nhs.check-bump", 1, 10)), number)
    text = where(d.chance("nhs.spaced", spaced), nhs_spaced(number), pc.cast(number, pa.string()))
    return where(
        d.chance("nhs.missing", rate(rates.missing, dup)), pa.scalar(None, pa.string()), text
    )
