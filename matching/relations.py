"""How two records' names and dates relate, as SQL shared by the model and the guards.

Each builder takes a column accessor ``c(column, side)`` so one definition serves Splink's pair
tables (``forename_std_l``) and plain self-joins (``l.forename_std``).
"""

from __future__ import annotations

from collections.abc import Callable

Column = Callable[[str, str], str]
"""Maps (column, side 'l' or 'r') to a SQL column reference."""

TYPO_RATIO = 4
"""A spelling is a typo of another only if the other is at least this many times as common."""


def suffixed(column: str, side: str) -> str:
    """Columns of Splink's pair tables: ``pnc_l``."""
    return f"{column}_{side}"


def qualified(column: str, side: str) -> str:
    """Columns of a self-join aliased ``l`` and ``r``: ``l.pnc``."""
    return f"{side}.{column}"


def names_swapped(c: Column) -> str:
    """Forename and surname recorded the other way round (a nickname on either side counts:
    ``RICHARDS, Pete`` is ``Peter Richards`` swapped), one or both of them perhaps misspelt as
    well (``HOMLES, Reece`` is ``Reece Holmes``; ``Broooks Pteer`` is ``Peter Brooks``)."""
    fl, fr = c("forename_std", "l"), c("forename_std", "r")
    sl, sr = c("surname_std", "l"), c("surname_std", "r")
    forename_is_surname = (
        f"({fl} = {sr} OR list_has_any({c('forename_roots', 'l')}, {c('surname_roots', 'r')}))"
    )
    surname_is_forename = (
        f"({sl} = {fr} OR list_has_any({c('surname_roots', 'l')}, {c('forename_roots', 'r')}))"
    )
    first_agrees = f"({forename_is_surname} OR {slip_apart(fl, sr)})"
    second_agrees = f"({surname_is_forename} OR {slip_apart(sl, fr)})"
    return f"({first_agrees} AND {second_agrees})"


def slip_apart(left: str, right: str) -> str:
    """Two spellings a slip apart, both of four letters or more: Jaro-Winkler at least 0.92,
    or one letter changed, added, dropped or two swapped (``Stone`` and ``Stine``).

    A single slip in words of three letters or more leaves the first or the last letter as it
    was, so only spellings sharing one of them are measured (the same pairs pass: the test
    only spares computing edit distances that cannot be 1)."""
    shares_an_end = (
        f"(substr({left}, 1, 1) = substr({right}, 1, 1) "
        f"OR substr({left}, -1, 1) = substr({right}, -1, 1))"
    )
    return (
        f"(least(length({left}), length({right})) >= 4 "
        f"AND (jaro_winkler_similarity({left}, {right}) >= 0.92 "
        f"OR ({shares_an_end} AND {within_edits(left, right, 1)})))"
    )


def within_edits(left: str, right: str, edits: int) -> str:
    """Damerau-Levenshtein distance at most ``edits``, measured only where the lengths allow it
    (they differ by at most ``edits``): the same answer, without the costly distance for most
    pairs of names."""
    return (
        f"(abs(length({left}) - length({right})) <= {edits} "
        f"AND damerau_levenshtein({left}, {right}) <= {edits})"
    )


def nickname(c: Column) -> str:
    """The forenames share a formal name (Bill and William; Chris and Christine)."""
    return f"list_has_any({c('forename_roots', 'l')}, {c('forename_roots', 'r')})"


def rare_variant(c: Column, name: str) -> str:
    """One spelling is within two edits of the other, much rarer, and not an established name:
    a typo (``Jqmes`` for ``James``), not a different name (``Tim`` and ``Tom``). The cheap
    tests come first: the edit distance is measured only for the pairs they leave."""
    col_l, col_r = c(f"{name}_std", "l"), c(f"{name}_std", "r")
    freq_l, freq_r = c(f"{name}_freq", "l"), c(f"{name}_freq", "r")
    known_l, known_r = c(f"{name}_known", "l"), c(f"{name}_known", "r")
    return (
        f"(least(length({col_l}), length({col_r})) >= 3 "
        f"AND CASE WHEN {freq_l} <= {freq_r} "
        f"THEN NOT {known_l} AND {freq_l} * {TYPO_RATIO} <= {freq_r} "
        f"ELSE NOT {known_r} AND {freq_r} * {TYPO_RATIO} <= {freq_l} END "
        f"AND {within_edits(col_l, col_r, 2)})"
    )


def near_spelling(c: Column, name: str) -> str:
    """Jaro-Winkler similarity of at least 0.92 (Thomson and Thompson)."""
    return f"jaro_winkler_similarity({c(f'{name}_std', 'l')}, {c(f'{name}_std', 'r')}) >= 0.92"


def short_form(c: Column) -> str:
    """One forename starts with the other, of three letters or more (Tom and Tomas)."""
    fl, fr = c("forename_std", "l"), c("forename_std", "r")
    return (
        f"(least(length({fl}), length({fr})) >= 3 AND "
        f"(starts_with({fl}, {fr}) OR starts_with({fr}, {fl})))"
    )


def middle_name(c: Column) -> str:
    """One record's forename is among the other's middle names."""
    return (
        f"(list_contains({c('middle_std', 'r')}, {c('forename_std', 'l')}) OR "
        f"list_contains({c('middle_std', 'l')}, {c('forename_std', 'r')}))"
    )


def same_forename_in_any_form(c: Column) -> str:
    """The forenames can be one person's: equal, nickname, typo, short form, middle name or
    swapped with the surname; one letter added, dropped or swapped with its neighbour (a slip
    that may spell another name: ``Den`` for ``Dean``, ``Christina`` for ``Christian``); or one
    of them is not an established name (so may be a typo or a misspelt nickname) and they start
    with the same letter or are two edits apart, unless it reads as a typo of an established
    name that is not the other's (``Jsmes`` is James, not Jack). Two different established
    names a letter apart (Tom and Tim, Jack and Jock) are not."""
    fl, fr = c("forename_std", "l"), c("forename_std", "r")
    rl, rr = c("forename_roots", "l"), c("forename_roots", "r")
    known_l, known_r = c("forename_known", "l"), c("forename_known", "r")
    unestablished = f"(NOT {known_l} OR NOT {known_r})"
    # an unestablished name read as a typo carries the corrected name's roots beside its own
    read_as_other = (
        f"((NOT {known_l} AND array_length({rl}) > 1) "
        f"OR (NOT {known_r} AND array_length({rr}) > 1)) "
        f"AND NOT list_has_any({rl}, {rr})"
    )
    return (
        f"({fl} = {fr} OR {nickname(c)} OR {rare_variant(c, 'forename')} OR {short_form(c)} "
        f"OR {middle_name(c)} OR ({names_swapped(c)}) OR {one_slip(fl, fr)} "
        f"OR ({unestablished} AND NOT ({read_as_other}) AND "
        f"(left({fl}, 1) = left({fr}, 1) OR {within_edits(fl, fr, 2)})))"
    )


def one_slip(left: str, right: str) -> str:
    """Spellings (three letters or more) one letter added or dropped, or two neighbours
    swapped, apart; a letter *changed* is not one (Tom and Tim are two names)."""
    return (
        f"(least(length({left}), length({right})) >= 3 "
        f"AND damerau_levenshtein({left}, {right}) = 1 AND (length({left}) <> length({right}) "
        f"OR list_sort(string_split({left}, '')) = list_sort(string_split({right}, ''))))"
    )


def surname_agrees(c: Column) -> str:
    """Same surname, or a typo or near spelling of it."""
    sl, sr = c("surname_std", "l"), c("surname_std", "r")
    return f"({sl} = {sr} OR {rare_variant(c, 'surname')} OR {near_spelling(c, 'surname')})"


def born_alike(c: Column) -> str:
    """Dates of birth that can be one day (twins): equal or a day apart (a slip of one day, or
    twins born either side of midnight), or one side gives (or may give) the year only and the
    years agree."""
    dl, dr = c("dob_full", "l"), c("dob_full", "r")
    year_only = (
        f"(({dl} IS NULL AND {c('birth_year', 'l')} IS NOT NULL) OR "
        f"({dr} IS NULL AND {c('birth_year', 'r')} IS NOT NULL))"
    )
    return (
        f"(abs(date_diff('day', {dl}, {dr})) <= 1 OR {maybe_year_only(c)} OR ({year_only} AND "
        f"{c('birth_year', 'l')} = {c('birth_year', 'r')}))"
    )


def maybe_year_only(c: Column) -> str:
    """Both years known and equal, and one date is a 1 January a feed may write for the year
    alone: no evidence of two different days."""
    dl, dr = c("dob_full", "l"), c("dob_full", "r")
    return (
        f"({c('birth_year', 'l')} = {c('birth_year', 'r')} AND "
        f"(strftime({dl}, '%m%d') = '0101' OR strftime({dr}, '%m%d') = '0101'))"
    )


def dates_one_slip_apart(c: Column) -> str:
    """Both full dates of birth known and one keying slip apart: day and month swapped (perhaps a
    year out too), a day out, one digit changed or two swapped, a year out, or the same year
    with the same month or day. Dates further apart than this are two people's."""
    dl, dr = c("dob_full", "l"), c("dob_full", "r")
    yl, yr = c("birth_year", "l"), c("birth_year", "r")
    swapped = f"month({dl}) = day({dr}) AND day({dl}) = month({dr})"
    same_day = f"month({dl}) = month({dr}) AND day({dl}) = day({dr})"
    return (
        f"({dl} IS NOT NULL AND {dr} IS NOT NULL AND ({dl} = {dr} "
        f"OR (abs({yl} - {yr}) <= 1 AND {swapped}) "
        f"OR abs(date_diff('day', {dl}, {dr})) <= 1 "
        f"OR abs(date_diff('day', {dl}, {dr})) BETWEEN 364 AND 367 "
        f"OR damerau_levenshtein({c('dob_text', 'l')}, {c('dob_text', 'r')}) <= 1 "
        f"OR (abs({yl} - {yr}) = 1 AND {same_day}) "
        f"OR ({yl} = {yr} AND (month({dl}) = month({dr}) OR day({dl}) = day({dr})))))"
    )
