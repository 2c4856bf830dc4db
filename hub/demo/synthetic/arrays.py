"""Vectorised building blocks on pyarrow: seeded draws, weighted picks, padding, joining, dates."""

from __future__ import annotations

import bisect
import hashlib
import itertools
import math
from collections.abc import Sequence

import pyarrow as pa
import pyarrow.compute as pc

MONTH_ABBR = pa.array(
    ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
)


def derive_seed(*parts: object) -> int:
    """A stable 63-bit seed from any printable parts (no dependence on Python's hash salt)."""
    text = ":".join(str(p) for p in parts).encode()
    return int.from_bytes(hashlib.blake2b(text, digest_size=8).digest(), "little") >> 1


class Draws:
    """Independent named uniform streams of length ``n`` for one scope (seed, chunk, feed)."""

    def __init__(self, n: int, *scope: object) -> None:
        self.n = n
        self._scope = scope

    def seed(self, name: str) -> int:
        """A seed for stream ``name`` (also for the few plain-Python draws)."""
        return derive_seed(*self._scope, name)

    def uniform(self, name: str) -> pa.DoubleArray:
        """Uniform doubles in [0, 1)."""
        return pc.random(self.n, initializer=self.seed(name))

    def chance(self, name: str, p: float | pa.Array) -> pa.BooleanArray:
        """True with probability ``p`` (a number or a per-row array)."""
        return pc.less(self.uniform(name), p)

    def integers(self, name: str, low: int, high: int | pa.Array) -> pa.Int64Array:
        """Integers in [low, high)."""
        span = pc.subtract(high, low)
        return pc.add(to_int(pc.multiply(self.uniform(name), span)), low)

    def pick(self, name: str, table: WeightedTable) -> pa.Int64Array:
        """Indices drawn from ``table``'s weights."""
        return table.pick(self.uniform(name))


class WeightedTable:
    """Weighted choice by lookup table: one ``take`` per draw, no per-row Python."""

    def __init__(self, weights: Sequence[float], size: int = 1 << 16) -> None:
        total = float(sum(weights))
        bounds = list(itertools.accumulate(w / total for w in weights))
        slots = [
            min(bisect.bisect_right(bounds, (s + 0.5) / size), len(weights) - 1)
            for s in range(size)
        ]
        self._size = size
        self._slots = pa.array(slots, pa.int64())

    def pick(self, u: pa.Array) -> pa.Int64Array:
        """Map uniform draws onto category indices."""
        return self._slots.take(to_int(pc.multiply(u, self._size)))


def to_int(values: pa.Array) -> pa.Int64Array:
    """Floor doubles into int64."""
    return pc.cast(pc.floor(values), pa.int64())


def arange(n: int) -> pa.Int64Array:
    """0 .. n-1 as an int64 array."""
    return pa.array(range(n), pa.int64())


def pad(values: pa.Array, width: int) -> pa.StringArray:
    """Integers as zero-padded decimal strings."""
    return pc.utf8_lpad(pc.cast(values, pa.string()), width=width, padding="0")


def cat(*parts: pa.Array | str) -> pa.StringArray:
    """Concatenate strings element-wise; a null part makes a null result."""
    return pc.binary_join_element_wise(*parts, "")


def digit_at(values: pa.Array, power: int | pa.Array) -> pa.Int64Array:
    """The decimal digit of ``values`` at 10**power."""
    return pc.modulo(pc.divide(values, pc.power(10, power)), 10)


def change_digit(values: pa.Array, power: pa.Array, bump: pa.Array) -> pa.Int64Array:
    """Replace the digit at 10**power with (digit + bump) % 10, bump in 1..9."""
    scale = pc.power(10, power)
    old = pc.modulo(pc.divide(values, scale), 10)
    new = pc.modulo(pc.add(old, bump), 10)
    return pc.add(values, pc.multiply(pc.subtract(new, old), scale))


def affine_permutation(index: pa.Array, modulus: int, *seed_parts: object) -> pa.Int64Array:
    """A seeded bijection on [0, modulus): unique outputs for unique inputs below ``modulus``."""
    step = derive_seed(*seed_parts, "step") % modulus or 1
    while math.gcd(step, modulus) != 1:
        step += 1
    offset = derive_seed(*seed_parts, "offset") % modulus
    return pc.modulo(pc.add(pc.multiply(index, step), offset), modulus)


def date_parts(days: pa.Array) -> tuple[pa.Int64Array, pa.Int64Array, pa.Int64Array]:
    """Year, month, day of day counts since 1970-01-01."""
    dates = pc.cast(pc.cast(days, pa.int32()), pa.date32())
    return pc.year(dates), pc.month(dates), pc.day(dates)


def format_date(year: pa.Array, month: pa.Array, day: pa.Array, style: str) -> pa.StringArray:
    """Format date parts: ``dmy`` dd/mm/yyyy, ``iso`` yyyy-mm-dd, ``compact`` yyyymmdd, ``mon``
    dd-Mon-yyyy. A null part gives a null date."""
    y, m, d = pad(year, 4), pad(month, 2), pad(day, 2)
    if style == "dmy":
        return cat(d, "/", m, "/", y)
    if style == "iso":
        return cat(y, "-", m, "-", d)
    if style == "compact":
        return cat(y, m, d)
    if style == "mon":
        return cat(d, "-", MONTH_ABBR.take(pc.subtract(month, 1)), "-", y)
    raise ValueError(f"unknown date style {style!r}")


def format_days(days: pa.Array, style: str) -> pa.StringArray:
    """Format day counts since 1970-01-01 (see :func:`format_date`)."""
    return format_date(*date_parts(days), style)


def where(mask: pa.Array, when_true: pa.Array | str | int, otherwise: pa.Array) -> pa.Array:
    """``if_else`` where a null mask keeps ``otherwise``."""
    return pc.if_else(pc.fill_null(mask, False), when_true, otherwise)
