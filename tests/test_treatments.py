"""Treatments one by one: their options, the fields they fit, their SQL and their release check;
and a treatment added as one class and its registration, end to end."""

from __future__ import annotations

import datetime
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

import duckdb
import pyarrow as pa
import pytest
from pydantic import Field
from sharing_support import FEEDS, agreement_yaml, make_persons

from sharing_agreements.checks import check_release
from sharing_agreements.errors import AgreementError, PolicyError
from sharing_agreements.load import load_agreement
from sharing_agreements.policy import recipient_policy
from sharing_agreements.pseudonyms import derive_key
from sharing_agreements.treatments import (
    BUILT_IN,
    PERSON_ID_TREATMENT,
    TREATMENTS,
    Drop,
    Generalisation,
    Generalise,
    Keep,
    Pseudonymise,
    Treatment,
    WrittenColumn,
    parse_treatment,
)
from sharing_agreements.view import FIELD_KINDS, PERSON_ID, VIEW_FIELDS
from sharing_agreements.view_builder import build_view, ident

KEY = derive_key(b"treatment tests master key, 32 bytes or more", "iom_team")


# --- validation -------------------------------------------------------------------------------


def test_each_treatment_is_found_by_its_word() -> None:
    assert set(TREATMENTS) == {"keep", "pseudonymise", "generalise", "k_anonymise", "drop"}
    assert [parse_treatment(kind.name, {}) for kind in (Keep, Pseudonymise, Drop)] == [
        Keep(),
        Pseudonymise(),
        Drop(),
    ]
    assert parse_treatment("generalise", {"to": "month"}) == Generalise(to=Generalisation.MONTH)


@pytest.mark.parametrize(
    ("name", "options", "expected"),
    [
        (
            "shred",
            {},
            "unknown treatment 'shred' (known: keep, pseudonymise, generalise, k_anonymise, drop)",
        ),
        ("keep", {"to": "year"}, "'to:' does not go with keep (it takes no options)"),
        ("pseudonymise", {"to": "year"}, "'to:' does not go with pseudonymise"),
        ("drop", {"to": "year"}, "'to:' does not go with drop"),
        (
            "generalise",
            {"to": "year", "k": 5},
            "'k:' does not go with generalise (its options: to)",
        ),
        ("generalise", {}, "generalise needs 'to:' (year, month, five_year_band, district, sec"),
        ("generalise", {"to": "decade"}, "to: Input should be 'year', 'month'"),
    ],
)
def test_options_are_checked_by_the_treatment(
    name: str, options: dict[str, object], expected: str
) -> None:
    with pytest.raises(ValueError) as caught:
        parse_treatment(name, options)
    assert expected in str(caught.value)


def test_a_treatment_is_cited_with_its_options() -> None:
    assert [str(t) for t in (Keep(), Pseudonymise(), Drop())] == ["keep", "pseudonymise", "drop"]
    assert str(Generalise(to=Generalisation.FIVE_YEAR_BAND)) == "generalise to five_year_band"


def test_keep_and_drop_fit_every_field() -> None:
    assert [Keep().problem(f) for f in VIEW_FIELDS] == [None] * len(VIEW_FIELDS)
    assert [Drop().problem(f) for f in VIEW_FIELDS] == [None] * len(VIEW_FIELDS)
    assert Keep().releases and not Drop().releases


def test_pseudonymise_refuses_fields_with_too_few_values() -> None:
    refused = {f for f in VIEW_FIELDS if Pseudonymise().problem(f)}
    assert refused == {f for f in VIEW_FIELDS if FIELD_KINDS[f] in ("boolean", "sex")}
    assert "too few values" in (Pseudonymise().problem("da_flag") or "")


@pytest.mark.parametrize(
    ("field", "fits", "refused"),
    [
        ("date_of_birth", {"year", "month", "five_year_band"}, {"district", "sector"}),
        ("referral_date", {"year", "month", "five_year_band"}, {"district", "sector"}),
        ("postcode", {"district", "sector"}, {"year", "month", "five_year_band"}),
    ],
)
def test_generalise_fits_dates_and_the_postcode(
    field: str, fits: set[str], refused: set[str]
) -> None:
    for to in fits:
        assert Generalise(to=Generalisation(to)).problem(field) is None
    for to in refused:
        assert "cannot be generalised to" in (
            Generalise(to=Generalisation(to)).problem(field) or ""
        )
    assert "cannot be generalised (only dates and postcode)" in (
        Generalise(to=Generalisation.YEAR).problem("surname") or ""
    )


# --- SQL --------------------------------------------------------------------------------------


def _released(treatment: Treatment, field: str, values: pa.Array) -> list[Any]:
    """The values as released by the treatment's two SQL steps (no mask, no canonical column)."""
    con = duckdb.connect()
    con.register("persons", pa.table({field: values}))
    kept = f"SELECT {treatment.value_sql(field)} AS {ident(field)} FROM persons"
    released = treatment.released_sql(field, {field: treatment})
    rows = con.sql(
        f"SELECT {released} AS v FROM ({kept})", params=treatment.parameters(field, KEY) or None
    ).fetchall()
    return [row[0] for row in rows]


def test_keep_releases_the_value_as_held() -> None:
    values = pa.array(["Penrose", None, " o'neill "])
    assert _released(Keep(), "surname", values) == ["Penrose", None, " o'neill "]


def test_drop_builds_no_column() -> None:
    with pytest.raises(PolicyError, match="no column is built for treatment drop"):
        Drop().value_sql("surname")


@pytest.mark.parametrize(
    ("to", "expected"),
    [("year", [1987, 2004, None]), ("month", ["1987-06", "2004-12", None]),
     ("five_year_band", ["1985-1989", "2000-2004", None])],
)  # fmt: skip
def test_generalise_dates(to: str, expected: list[Any]) -> None:
    dates = pa.array([datetime.date(1987, 6, 15), datetime.date(2004, 12, 31), None])
    assert _released(Generalise(to=Generalisation(to)), "date_of_birth", dates) == expected


@pytest.mark.parametrize(
    ("to", "expected"),
    [("district", ["TR15", "TR15", None, None]), ("sector", ["TR15 9", "TR15 9", None, None])],
)
def test_generalise_postcodes_from_their_canonical_form(to: str, expected: list[Any]) -> None:
    postcodes = pa.array(["tr15 9ab", "TR159AB", "NF1 1NF", None])
    treatment = Generalise(to=Generalisation(to))
    assert treatment.reads_canonical_form
    assert _released(treatment, "postcode", postcodes) == expected


def test_pseudonymise_gives_the_keyed_pseudonym_of_the_canonical_value() -> None:
    values = pa.array(["02/9942865R", "2002/9942865R", None])
    released = _released(Pseudonymise(), "pnc_id", values)
    assert released == [KEY.pseudonym("pnc_id", "2002/9942865R")] * 2 + [None]
    assert _released(Pseudonymise(), "surname", pa.array([" penrose "])) == [
        KEY.pseudonym("surname", "PENROSE")
    ]
    dates = pa.array([datetime.date(1987, 6, 15)])
    assert _released(Pseudonymise(), "date_of_birth", dates) == [
        KEY.pseudonym("date_of_birth", "1987-06-15")
    ]


def test_pseudonymise_binds_key_material_and_writes_none_into_sql() -> None:
    parameters = Pseudonymise().parameters("pnc_id", KEY)
    assert set(parameters) == {"inner_pnc_id", "outer"}
    sql = Pseudonymise().value_sql("pnc_id") + Pseudonymise().released_sql("pnc_id", {})
    assert KEY.key.hex() not in sql and all(p.hex() not in sql for p in parameters.values())
    assert (
        Keep().parameters("surname", KEY)
        == {}
        == Generalise(to=Generalisation.YEAR).parameters("x", KEY)
    )


# --- release check ----------------------------------------------------------------------------


def _column_problems(
    treatment: Treatment, field: str, release: pa.Table, persons: pa.Table
) -> list[str]:
    """What the treatment finds wrong with ``field`` in ``release`` (as the release check asks)."""
    con = duckdb.connect()
    con.register("release", release)
    con.register("persons", persons)
    types = {row[0]: str(row[1]) for row in con.sql("DESCRIBE SELECT * FROM release").fetchall()}
    column = WrittenColumn(con, "release", "persons", field, types[field], {field: treatment})
    counts = treatment.release_counts(column)
    problems = []
    if counts:
        (found,) = con.sql(f"SELECT {', '.join(c.sql for c in counts)} FROM release").fetchall()
        problems += [f"{field}: {n} {c.problem}" for c, n in zip(counts, found, strict=True) if n]
    return problems + treatment.release_problems(column)


def test_pseudonymised_columns_hold_pseudonyms_and_no_clear_value() -> None:
    persons = pa.table({"pnc_id": ["02/9942865R"], "surname": ["Penrose"]})
    good = pa.table({"pnc_id": [KEY.pseudonym("pnc_id", "2002/9942865R")]})
    assert _column_problems(Pseudonymise(), "pnc_id", good, persons) == []
    clear = pa.table({"pnc_id": ["2002/9942865R", None]})
    assert _column_problems(Pseudonymise(), "pnc_id", clear, persons) == [
        "pnc_id: 1 value(s) are not pseudonyms",
        "pnc_id: 1 value(s) in clear where the agreement says pseudonymise",
    ]
    normalised = pa.table({"surname": ["PENROSE"]})
    assert (
        "surname: 1 value(s) in clear"
        in _column_problems(Pseudonymise(), "surname", normalised, persons)[1]
    )


def test_the_person_id_is_checked_as_pseudonymised() -> None:
    persons = pa.table({PERSON_ID: ["P000001"]})
    exposed = pa.table({PERSON_ID: ["P000001"]})
    assert isinstance(PERSON_ID_TREATMENT, Pseudonymise)
    assert _column_problems(PERSON_ID_TREATMENT, PERSON_ID, exposed, persons) == [
        "person_id: 1 value(s) are not pseudonyms",
        "person_id: 1 value(s) in clear where the agreement says pseudonymise",
    ]


@pytest.mark.parametrize(
    ("to", "values", "expected"),
    [
        ("year", pa.array([1987], pa.int32()), []),
        ("year", pa.array(["1987"]), ["generalised to year but holds VARCHAR"]),
        ("month", pa.array(["1987-06", None]), []),
        ("month", pa.array(["1987-06-15"]), ["1 value(s) finer than month"]),
        ("month", pa.array([datetime.date(1987, 6, 1)]), ["generalised but holds DATE"]),
        (
            "five_year_band",
            pa.array(["1985-1989", "1987"]),
            ["1 value(s) finer than five_year_band"],
        ),
    ],
)
def test_generalised_dates_hold_nothing_finer_than_agreed(
    to: str, values: pa.Array, expected: list[str]
) -> None:
    release = pa.table({"date_of_birth": values})
    persons = pa.table({"date_of_birth": [datetime.date(1987, 6, 15)]})
    treatment = Generalise(to=Generalisation(to))
    problems = _column_problems(treatment, "date_of_birth", release, persons)
    assert problems == [f"date_of_birth: {problem}" for problem in expected]


@pytest.mark.parametrize(
    ("to", "values", "expected"),
    [
        ("district", ["TR15", "W1A"], []),
        ("district", ["TR15 9"], ["postcode: 1 value(s) finer than district"]),
        ("sector", ["TR15 9"], []),
        ("sector", ["TR15 9AB"], ["postcode: 1 value(s) finer than sector"]),
        ("area", ["TR", "W"], []),
        ("area", ["TR15"], ["postcode: 1 value(s) finer than area"]),
    ],
)
def test_generalised_postcodes_hold_nothing_finer_than_agreed(
    to: str, values: list[str], expected: list[str]
) -> None:
    release = pa.table({"postcode": values})
    persons = pa.table({"postcode": ["TR15 9AB"]})
    treatment = Generalise(to=Generalisation(to))
    assert _column_problems(treatment, "postcode", release, persons) == expected


def test_kept_values_need_no_check() -> None:
    release = pa.table({"surname": ["Penrose"]})
    assert _column_problems(Keep(), "surname", release, release) == []


def test_every_treatment_option_is_documented() -> None:
    text = (Path(__file__).resolve().parent.parent / "docs" / "sharing.md").read_text()
    for kind in BUILT_IN:
        assert f"`{kind.name}`" in text
        assert [n for n in kind.model_fields if f"`{n}`" not in text] == []


# --- a new treatment is one class and its registration ----------------------------------------


class YearInGroups(Treatment):
    """A date's year, withheld from everyone who shares every such column's values with fewer
    than ``k`` people released (a small k-anonymity, as a new treatment would be written)."""

    name: ClassVar[str] = "year_in_groups"

    k: int = Field(ge=2)

    def problem(self, field: str) -> str | None:
        return None if FIELD_KINDS[field] == "date" else "only dates"

    def value_sql(self, field: str, *, canonical: str | None = None) -> str:
        return f"CAST(year({ident(field)}) AS INTEGER)"

    def _peers(self, columns: Mapping[str, Treatment]) -> str:
        return ", ".join(ident(n) for n, t in columns.items() if isinstance(t, YearInGroups))

    def released_sql(self, field: str, columns: Mapping[str, Treatment]) -> str:
        group = f"count(*) OVER (PARTITION BY {self._peers(columns)})"
        return f"CASE WHEN {group} >= {self.k} THEN {ident(field)} END"

    def release_problems(self, column: WrittenColumn) -> list[str]:
        ((small,),) = column.con.sql(
            f"SELECT count(*) FROM (SELECT count(*) AS n FROM {column.release} "
            f"WHERE {ident(column.field)} IS NOT NULL GROUP BY {self._peers(column.columns)}) "
            f"WHERE n < {self.k}"
        ).fetchall()
        return [f"{column.field}: {small} group(s) smaller than {self.k}"] if small else []


@pytest.fixture
def year_in_groups(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(TREATMENTS, YearInGroups.name, YearInGroups)


def _agreement_with(tmp_path: Path, clause: dict[str, object]) -> Path:
    fields = {"surname": "keep", "date_of_birth": clause}
    path = tmp_path / "a.yaml"
    path.write_text(agreement_yaml(fields=fields), encoding="utf-8")
    return path


@pytest.mark.usefixtures("year_in_groups")
def test_a_registered_treatment_is_validated_built_and_checked(tmp_path: Path) -> None:
    with pytest.raises(AgreementError, match=r"fields\.date_of_birth\.treatment: k: Input should"):
        load_agreement(_agreement_with(tmp_path, {"treatment": "year_in_groups", "k": 1}))
    with pytest.raises(AgreementError, match=r"fields\.surname: only dates"):
        path = tmp_path / "b.yaml"
        path.write_text(agreement_yaml(fields={"surname": {"treatment": "year_in_groups", "k": 2}}))
        load_agreement(path)

    agreement = load_agreement(_agreement_with(tmp_path, {"treatment": "year_in_groups", "k": 5}))
    policy = recipient_policy([agreement], "iom_team", FEEDS, datetime.date(2026, 6, 1))
    assert [str(r.treatment) for r in policy.columns] == ["keep", "year_in_groups k 5"]
    persons = make_persons(400, seed=7)
    con = duckdb.connect()
    con.register("persons", persons)
    view = build_view(con, "persons", policy, derive_key(os.urandom(32), "iom_team"))
    release = view.table
    years = release.column("date_of_birth").drop_null().to_pylist()
    assert years and all(years.count(year) >= 5 for year in years)
    assert release.column("date_of_birth").null_count > 0
    assert check_release(con, release, policy, "persons", view.rows) == []

    index = release.column_names.index("date_of_birth")
    unsuppressed = con.sql(
        f"SELECT year(date_of_birth) AS y FROM persons LIMIT {release.num_rows}"
    ).to_arrow_table()
    leaked = release.set_column(index, "date_of_birth", unsuppressed.column("y").cast(pa.int32()))
    problems = check_release(con, leaked, policy, "persons", view.rows)
    assert any("group(s) smaller than 5" in p for p in problems)


def test_an_unregistered_treatment_is_refused(tmp_path: Path) -> None:
    with pytest.raises(AgreementError, match="unknown treatment 'year_in_groups'"):
        load_agreement(_agreement_with(tmp_path, {"treatment": "year_in_groups", "k": 5}))
