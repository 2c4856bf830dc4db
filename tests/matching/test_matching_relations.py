"""Names swapped with a typo, dates of birth a slip apart, and the date-of-birth guard, in SQL."""

from __future__ import annotations

import duckdb
import pytest

from matching.guards import cannot_link_sql, qualified
from matching.relations import dates_one_slip_apart, names_swapped, slip_apart, within_edits


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


def _dates(
    left: str | None, right: str | None, shared_pnc: bool = False,
    postcodes: tuple[str, str] = ("EX1 1AA", "PL4 0DQ"),
) -> str:  # fmt: skip
    def side(date: str | None, pnc: str, postcode: str) -> str:
        full = f"DATE '{date}'" if date else "NULL::DATE"
        text = f"'{date.replace('-', '')}'" if date else "NULL"
        year = f"year({full})"
        return (f"SELECT {full} AS dob_full, {text} AS dob_text, {year} AS birth_year, "
                f"'{pnc}' AS pnc, NULL AS cro, NULL AS nhs, NULL AS crn, NULL AS nomis, "
                "'a' AS surname_std, 'a' AS forename_std, ['a'] AS forename_roots, "
                "['a'] AS surname_roots, [] AS middle_std, 1 AS surname_freq, "
                "1 AS forename_freq, true AS forename_known, true AS surname_known, "
                f"'{postcode}' AS postcode_std")  # fmt: skip

    right_pnc = "2001/1234567Z" if shared_pnc else "1999/7654321A"
    return (f"FROM ({side(left, '2001/1234567Z', postcodes[0])}) l, "
            f"({side(right, right_pnc, postcodes[1])}) r")  # fmt: skip


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


def test_the_same_name_at_the_same_postcode_is_two_slips_not_two_people() -> None:
    def cannot(left: str, right: str, postcodes: tuple[str, str]) -> bool:
        sql = f"SELECT {cannot_link_sql(qualified)} {_dates(left, right, postcodes=postcodes)}"
        return duckdb.sql(sql.replace("'1999/7654321A'", "NULL")).fetchall()[0][0]

    at_one_address = ("PL1 2NN", "PL1 2NN")
    assert not cannot("2005-03-05", "2007-03-04", at_one_address)  # two years and a day out
    assert cannot("2005-03-05", "2007-03-04", ("PL1 2NN", "PL1 2NQ"))
    assert cannot("1965-03-05", "1992-03-05", at_one_address)  # a generation apart: still two


def _people(left: dict[str, object], right: dict[str, object]) -> str:
    """Two records of one surname with no identifiers; each side's forename, roots,
    whether the forename is established, and date of birth (None: year only, 1990)."""

    def side(person: dict[str, object]) -> str:
        date = person.get("dob")
        full = f"DATE '{date}'" if date else "NULL::DATE"
        text = f"'{str(date).replace('-', '')}'" if date else "NULL"
        roots = ", ".join(f"'{root}'" for root in person.get("roots", [person["forename"]]))
        known = "true" if person.get("known", True) else "false"
        return (f"SELECT '{person['forename']}' AS forename_std, 'holloway' AS surname_std, "
                f"[{roots}] AS forename_roots, ['holloway'] AS surname_roots, "
                f"{full} AS dob_full, {text} AS dob_text, 1990 AS birth_year, "
                "NULL AS pnc, NULL AS cro, NULL AS nhs, NULL AS crn, NULL AS nomis, "
                "[] AS middle_std, 50 AS surname_freq, 50 AS forename_freq, "
                f"{known} AS forename_known, true AS surname_known")  # fmt: skip

    return f"FROM ({side(left)}) l, ({side(right)}) r"


@pytest.mark.parametrize(
    ("left", "right", "twins"),
    [
        # Jack and Harry: same day, or a day apart by a keying slip, or one year-only record.
        ({"forename": "jack", "dob": "1990-04-17"}, {"forename": "harry", "dob": "1990-04-17"},
         True),
        ({"forename": "jack", "dob": "1990-04-17"}, {"forename": "harry", "dob": "1990-04-18"},
         True),
        ({"forename": "jack", "dob": "1990-04-17"}, {"forename": "harry"}, True),
        ({"forename": "jack", "dob": "1990-04-17"}, {"forename": "harry", "dob": "1990-01-01"},
         True),
        # James typed Jsmes (read as a typo of James) is not Jack because both start with J.
        ({"forename": "jack", "dob": "1990-04-17"},
         {"forename": "jsmes", "roots": ["james", "jsmes"], "known": False,
          "dob": "1990-04-17"}, True),
        # A typo of Jack itself is Jack.
        ({"forename": "jack", "dob": "1990-04-17"},
         {"forename": "jakc", "roots": ["jack", "jakc"], "known": False, "dob": "1990-04-17"},
         False),
        # Misspellings that spell another name: Dean typed Den, Christian typed Christina.
        ({"forename": "dean", "dob": "1990-04-17"}, {"forename": "den", "dob": "1990-04-17"},
         False),
        ({"forename": "christian", "dob": "1990-04-17"},
         {"forename": "christina", "dob": "1990-04-17"}, False),
        # Tom and Tim are two names.
        ({"forename": "tom", "dob": "1990-04-17"}, {"forename": "tim", "dob": "1990-04-17"},
         True),
    ],
)  # fmt: skip
def test_the_twins_guard_survives_date_slips_year_only_dates_and_typos(left, right, twins) -> None:
    from matching.guards import twins_sql

    assert (
        duckdb.sql(f"SELECT {twins_sql(qualified)} {_people(left, right)}").fetchall()[0][0]
        is twins
    )


def test_a_first_of_january_in_the_same_year_is_no_date_conflict() -> None:
    from matching.guards import dob_conflict_sql

    sql = f"SELECT {dob_conflict_sql(qualified)} {_dates('1985-01-01', '1985-06-30')}"
    assert duckdb.sql(sql).fetchall()[0][0] is False
    sql = f"SELECT {dob_conflict_sql(qualified)} {_dates('1985-01-01', '1986-06-30')}"
    assert duckdb.sql(sql).fetchall()[0][0] is True


def _one_slip_variants(word: str) -> list[str]:
    """Every spelling one letter changed, added, dropped or two neighbours swapped away."""
    letters = "aeiostx"
    out = {word[:i] + word[i + 1 :] for i in range(len(word))}
    out |= {word[:i] + c + word[i:] for i in range(len(word) + 1) for c in letters}
    out |= {word[:i] + c + word[i + 1 :] for i in range(len(word)) for c in letters}
    out |= {word[:i] + word[i + 1] + word[i] + word[i + 2 :] for i in range(len(word) - 1)}
    return sorted(out)


def test_the_cheap_tests_before_an_edit_distance_change_no_answer() -> None:
    """The swapped-names and misspelling levels measure an edit distance only where lengths and
    end letters allow it: every pair gets the answer the distance alone would give."""
    words = ["stone", "reece", "ann", "holmes", "jo", "peter", "abcd", "o'neil"]
    pairs = [(w, v) for w in words for v in _one_slip_variants(w)]
    pairs += [(w, v) for w in words for v in words] + [("abcd", "badc"), ("abcd", "dbca")]
    pairs += [("stone", None), (None, "stone")]

    def text(value: str | None) -> str:
        return "NULL" if value is None else "'" + value.replace("'", "''") + "'"

    connection = duckdb.connect()
    values = ", ".join(f"({text(a)}, {text(b)})" for a, b in pairs)
    connection.execute(f"CREATE TABLE names AS SELECT * FROM (VALUES {values}) t(a, b)")
    near = slip_apart("a", "b")
    plain = (
        "(least(length(a), length(b)) >= 4 AND (jaro_winkler_similarity(a, b) >= 0.92 "
        "OR damerau_levenshtein(a, b) <= 1))"
    )
    differ = connection.sql(
        f"SELECT a, b FROM names WHERE ({near}) IS DISTINCT FROM ({plain}) "
        f"OR ({within_edits('a', 'b', 2)}) IS DISTINCT FROM (damerau_levenshtein(a, b) <= 2) "
        f"OR (CASE WHEN {near} THEN 1 ELSE 0 END) <> (CASE WHEN {plain} THEN 1 ELSE 0 END)"
    ).fetchall()
    assert len(pairs) > 500
    assert differ == []
