"""Names swapped with a typo, dates of birth a slip apart, and the date-of-birth guard, in SQL."""

from __future__ import annotations

import duckdb
import pytest

from matching.guards import cannot_link_sql, qualified
from matching.relations import dates_one_slip_apart, names_swapped


def _pair(forename_l: str, surname_l: str, forename_r: str, surname_r: str) -> str:
    def side(forename: str, surname: str) -> str:
        return (f"SELECT '{forename}' AS forename_std, '{surname}' AS surname_std, "
                f"['{forename}'] AS forename_roots, ['{surname}'] AS surname_roots")  # fmt: skip

    return f"FROM ({side(forename_l, surname_l)}) l, ({side(forename_r, surname_r)}) r"


@pytest.mark.parametrize(
    ("left", "right", "swapped"),
    [
        (("homles", "reece"), ("reece", "holmes"), True),  # swapped, surname misspelt
        (("broooks", "pteer"), ("peter", "brooks"), True),  # swapped, both misspelt
        (("smith", "john"), ("john", "smith"), True),
        (("john", "smith"), ("john", "smith"), False),  # not swapped at all
        (("jones", "mark"), ("john", "smith"), False),
    ],
)
def test_swapped_names_allow_a_typo(left, right, swapped) -> None:
    sql = f"SELECT {names_swapped(qualified)} {_pair(*left, *right)}"
    assert duckdb.sql(sql).fetchall()[0][0] is swapped


def _dates(left: str | None, right: str | None, shared_pnc: bool = False) -> str:
    def side(date: str | None, pnc: str) -> str:
        full = f"DATE '{date}'" if date else "NULL::DATE"
        text = f"'{date.replace('-', '')}'" if date else "NULL"
        year = f"year({full})"
        return (f"SELECT {full} AS dob_full, {text} AS dob_text, {year} AS birth_year, "
                f"'{pnc}' AS pnc, NULL AS cro, NULL AS nhs, NULL AS crn, NULL AS nomis, "
                "'a' AS surname_std, 'a' AS forename_std, ['a'] AS forename_roots, "
                "['a'] AS surname_roots, [] AS middle_std, 1 AS surname_freq, "
                "1 AS forename_freq, true AS forename_known, true AS surname_known")  # fmt: skip

    right_pnc = "2001/1234567Z" if shared_pnc else "1999/7654321A"
    return f"FROM ({side(left, '2001/1234567Z')}) l, ({side(right, right_pnc)}) r"


@pytest.mark.parametrize(
    ("left", "right", "slip"),
    [
        ("1985-03-14", "1985-03-14", True),
        ("1985-03-14", "1985-03-15", True),  # a day out
        ("1985-03-14", "1986-03-14", True),  # a year out
        ("1985-03-04", "1985-04-03", True),  # day and month swapped
        ("1985-03-14", "1981-03-14", True),  # one digit of the year
        ("1985-03-14", "1986-03-15", True),  # a year and a day out
        ("1985-03-14", "1985-11-02", False),  # same year, nothing else
        ("1985-03-14", "1985-03-20", True),  # same year and month
        ("1985-03-14", "1986-07-21", False),
    ],
)
def test_dates_one_slip_apart(left, right, slip) -> None:
    sql = f"SELECT {dates_one_slip_apart(qualified)} {_dates(left, right, shared_pnc=True)}"
    assert duckdb.sql(sql).fetchall()[0][0] is slip


def test_dates_of_birth_more_than_a_slip_apart_cannot_share_a_person() -> None:
    def cannot(left: str | None, right: str | None) -> bool:
        sql = f"SELECT {cannot_link_sql(qualified)} {_dates(left, right)}"
        return duckdb.sql(sql.replace("'1999/7654321A'", "NULL")).fetchall()[0][0]

    assert cannot("1985-03-14", "1986-07-21")
    assert not cannot("1985-03-14", "1986-03-14")
    assert not cannot("1985-03-14", None)  # no date on one side: no conflict
