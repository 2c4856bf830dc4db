"""Identifier rules: known answers, and the bulk SQL agreeing with the single-value Python."""

from __future__ import annotations

import datetime

import duckdb
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from schemas.identifiers import (
    CANONICALISERS,
    SQL_CANONICALISERS,
    SQL_PLANS,
    canonical_cro_number,
    canonical_nhs_number,
    canonical_pnc_id,
    canonical_postcode,
    plan_query,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2013/0686271U", "2013/0686271U"),
        ("13/686271U", "2013/0686271U"),
        ("20130686271U", "2013/0686271U"),
        (" 2013/0686271u ", "2013/0686271U"),
        ("2013/0686271X", None),  # wrong check letter
        ("2013/0000000Z", None),  # serial zero
        ("", None),
    ],
)
def test_pnc_forms_share_one_canonical_id(text: str, expected: str | None) -> None:
    assert canonical_pnc_id(text) == expected


def test_two_digit_pnc_years_after_this_year_are_last_century() -> None:
    today = datetime.date(2026, 11, 23)
    check = "ZABCDEFGHJKLMNPQRTUVWXY"[int("99" + "0012345") % 23]
    assert canonical_pnc_id(f"99/12345{check}", today) == f"1999/0012345{check}"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("943 476 5919", "9434765919"),
        ("9434765919", "9434765919"),
        ("9434765918", None),
        ("123456789", None),
    ],
)
def test_nhs_number_mod_11(text: str, expected: str | None) -> None:
    assert canonical_nhs_number(text) == expected


def test_cro_placeholder_and_short_form() -> None:
    assert canonical_cro_number("000000/00Z") is None
    letter = "ZABCDEFGHJKLMNPQRTUVWXY"[int("04" + "543820") % 23]
    assert canonical_cro_number(f"543820/04{letter}") == f"543820/04{letter}"
    sf_letter = "ZABCDEFGHJKLMNPQRTUVWXY"[int("95" + "000123") % 23]
    assert canonical_cro_number(f"SF95/123{sf_letter}") == f"SF95/000123{sf_letter}"


@pytest.mark.parametrize(
    ("text", "expected"),
    [("tr159rr", "TR15 9RR"), ("TR15 9RR", "TR15 9RR"), ("NF1 1NF", None), ("XYZ", None)],
)
def test_postcodes_normalised_and_placeholders_dropped(text: str, expected: str | None) -> None:
    assert canonical_postcode(text) == expected


_PIECES = st.one_of(
    st.from_regex(r"\A(\d{2}|\d{4})/?\d{1,7}[A-Z]\Z"),
    st.from_regex(r"\A\d{1,6}/\d{2}[A-Z]\Z"),
    st.from_regex(r"\ASF\d{2}/\d{1,6}[A-Z]\Z"),
    st.from_regex(r"\A\d{3} ?\d{3} ?\d{4}\Z"),
    st.from_regex(r"\A[A-Z]{1,2}\d[A-Z\d]? ?\d[A-Z]{2}\Z"),
    st.from_regex(r"\A[A-Z]\d{6}\Z"),
    st.from_regex(r"\A[A-Z]\d{4}[A-Z]{2}\Z"),
    st.text(max_size=14),
)


@settings(max_examples=150, deadline=None)
@example(values=["13/686271U\n", "ſF95/000123A", "ı3/686271U", "2013/0686271U", "tr15\t9rr"])
@example(values=["2013/0000000Z", "000000/13Z", "NF1 1NF", "ZZ99 3VZ", "9434765919", "9434765910"])
@given(values=st.lists(_PIECES, min_size=1, max_size=40))
def test_sql_and_python_rules_agree(values: list[str]) -> None:
    with duckdb.connect() as con:
        con.execute(
            "CREATE TABLE t AS SELECT unnest(?::VARCHAR[]) AS v, "
            "generate_subscripts(?::VARCHAR[], 1) AS i",
            [values, values],
        )
        for kind, python_rule in CANONICALISERS.items():
            query = plan_query(SQL_PLANS[kind]("v", "_p_"), "t", keep="i")
            rows = con.execute(f"{query} ORDER BY i").fetchall()
            assert [r[1] for r in rows] == [python_rule(v) for v in values], kind
            inline = con.execute(f"SELECT {SQL_CANONICALISERS[kind]('v')} FROM t ORDER BY i")
            assert [r[0] for r in inline.fetchall()] == [r[1] for r in rows], kind
