"""Partner identifiers: NHS number, PNC ID, CRO number, CRN, NOMIS number.

Scalar checks (for tests and callers) and the vectorised builders the generator uses.
"""

from __future__ import annotations

import functools
import re

import pyarrow as pa
import pyarrow.compute as pc

from hub.demo.synthetic.arrays import cat, pad

CHECK_LETTERS = "ZABCDEFGHJKLMNPQRTUVWXY"
_CHECK_ARRAY = pa.array(list(CHECK_LETTERS))
NHS_WEIGHTS = (10, 9, 8, 7, 6, 5, 4, 3, 2)
NHS_TEST_PREFIX = 999  # 999 000 0000 - 999 999 9999 is reserved for testing
CRO_PLACEHOLDER = "000000/00Z"

_PNC = re.compile(r"^(\d{2}|\d{4})/?(\d{1,7})([A-Z])$")
_CRO = re.compile(r"^(\d{1,6})/(\d{2})([A-Z])$")


def nhs_check_digit(first_nine: str) -> int | None:
    """The modulus-11 check digit for nine digits, or None when no valid number exists."""
    total = sum(int(c) * w for c, w in zip(first_nine, NHS_WEIGHTS, strict=True))
    check = 11 - total % 11
    if check == 10:
        return None
    return 0 if check == 11 else check


def is_valid_nhs_number(value: str) -> bool:
    """True for ten digits (spaces allowed) whose last digit is the modulus-11 check digit."""
    digits = value.replace(" ", "")
    if len(digits) != 10 or not digits.isdigit():
        return False
    return nhs_check_digit(digits[:9]) == int(digits[9])


def pnc_check_letter(year: int, serial: int) -> str:
    """PNC check letter from the year (last two digits used) and the serial number."""
    return CHECK_LETTERS[int(f"{year % 100:02d}{serial:07d}") % 23]


def cro_check_letter(year: int, serial: int) -> str:
    """CRO check letter from the year (last two digits used) and the serial number."""
    return CHECK_LETTERS[int(f"{year % 100:02d}{serial:06d}") % 23]


def is_valid_pnc(value: str) -> bool:
    """True for a PNC ID in long, short or slash-less form whose check letter is right."""
    m = _PNC.match(value.strip().upper())
    if not m:
        return False
    year, serial, letter = m.groups()
    if "/" not in value and len(year) == 4 and len(serial) != 7:
        return False
    return pnc_check_letter(int(year), int(serial)) == letter


def is_valid_cro(value: str) -> bool:
    """True for a CRO number ``NNNNNN/YYC`` whose check letter is right."""
    m = _CRO.match(value.strip().upper())
    if not m:
        return False
    serial, year, letter = m.groups()
    return cro_check_letter(int(year), int(serial)) == letter


@functools.cache
def nhs_test_pool() -> pa.Int64Array:
    """Every valid NHS number in the test range 999 000 0000 - 999 999 9999, ascending."""
    stems = pa.array(range(1_000_000), pa.int64())
    total = pa.scalar(
        NHS_TEST_PREFIX // 100 * 10 + (NHS_TEST_PREFIX // 10 % 10) * 9 + (NHS_TEST_PREFIX % 10) * 8,
        pa.int64(),
    )
    for power, weight in zip(range(5, -1, -1), NHS_WEIGHTS[3:], strict=True):
        digit = pc.modulo(pc.divide(stems, 10**power), 10)
        total = pc.add(total, pc.multiply(digit, weight))
    check = pc.subtract(11, pc.modulo(total, 11))
    keep = pc.not_equal(check, 10)
    check = pc.if_else(pc.equal(check, 11), 0, check)
    numbers = pc.add(pc.multiply(pc.add(stems, NHS_TEST_PREFIX * 1_000_000), 10), check)
    return pc.filter(numbers, keep)


def check_letter_index(year: pa.Array, serial: pa.Array, width: int) -> pa.Int64Array:
    """Index into CHECK_LETTERS of int(YY + serial padded to ``width``) % 23."""
    value = pc.add(pc.multiply(pc.modulo(year, 100), 10**width), serial)
    return pc.modulo(value, 23)


def check_letters(index: pa.Array) -> pa.StringArray:
    """Check letters for indices into CHECK_LETTERS."""
    return _CHECK_ARRAY.take(index)


def pnc_long(year: pa.Array, serial: pa.Array, letter: pa.Array) -> pa.StringArray:
    """``YYYY/NNNNNNNC``."""
    return cat(pad(year, 4), "/", pad(serial, 7), letter)


def pnc_short(year: pa.Array, serial: pa.Array, letter: pa.Array) -> pa.StringArray:
    """``YY/N…C`` with the serial's leading zeros dropped."""
    return cat(pad(pc.modulo(year, 100), 2), "/", pc.cast(serial, pa.string()), letter)


def pnc_no_slash(year: pa.Array, serial: pa.Array, letter: pa.Array) -> pa.StringArray:
    """``YYYYNNNNNNNC``."""
    return cat(pad(year, 4), pad(serial, 7), letter)


def cro_number(year: pa.Array, serial: pa.Array, letter: pa.Array) -> pa.StringArray:
    """``NNNNNN/YYC``."""
    return cat(pad(serial, 6), "/", pad(pc.modulo(year, 100), 2), letter)


def nhs_spaced(number: pa.Array) -> pa.StringArray:
    """``999 123 4567``."""
    text = pad(number, 10)
    return cat(
        pc.utf8_slice_codeunits(text, 0, 3),
        " ",
        pc.utf8_slice_codeunits(text, 3, 6),
        " ",
        pc.utf8_slice_codeunits(text, 6, 10),
    )


_LETTERS = pa.array(list("ABCDEFGHIJKLMNOPQRSTUVWXYZ"))
CRN_SPACE = 26 * 10**6
NOMS_FIRST = pa.array(["A", "G"])
NOMS_SPACE = len(NOMS_FIRST) * 10**4 * 26 * 26


def crn(code: pa.Array) -> pa.StringArray:
    """Case reference number ``A123456`` from a code in [0, CRN_SPACE)."""
    return cat(_LETTERS.take(pc.divide(code, 10**6)), pad(pc.modulo(code, 10**6), 6))


def noms_number(code: pa.Array) -> pa.StringArray:
    """NOMIS prison number ``A1234BC`` from a code in [0, NOMS_SPACE)."""
    letters = pc.divide(code, 10**4)
    return cat(
        NOMS_FIRST.take(pc.divide(letters, 676)),
        pad(pc.modulo(code, 10**4), 4),
        _LETTERS.take(pc.modulo(pc.divide(letters, 26), 26)),
        _LETTERS.take(pc.modulo(letters, 26)),
    )
