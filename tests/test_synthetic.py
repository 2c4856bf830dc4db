"""The synthetic partner generator: formats, determinism, truth, and the difficulties it plants."""

from __future__ import annotations

import csv
import datetime
import io
import re
from collections import Counter, defaultdict
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from hub.demo.synthetic import FEEDS, GeneratedExtracts, generate_partners
from hub.demo.synthetic.identifiers import (
    is_valid_cro,
    is_valid_nhs_number,
    is_valid_pnc,
    nhs_check_digit,
    pnc_check_letter,
)

PEOPLE = 8000
COLUMNS = {
    "police": [
        "NominalID",
        "PNCID",
        "CRONo",
        "Surname",
        "Forename1",
        "Forename2",
        "DOB",
        "Sex",
        "AddressLine1",
        "Town",
        "Postcode",
        "LastOffenceDate",
        "LastOffenceType",
        "OffenceCount12m",
        "RFGScore",
        "DAFlag",
    ],
    "probation": [
        "CRN",
        "NOMSNumber",
        "PNCNumber",
        "FirstName",
        "SecondName",
        "Surname",
        "DateOfBirth",
        "Gender",
        "Address",
        "Postcode",
        "OGRSScore",
        "RoSHLevel",
        "SentenceType",
        "SentenceEndDate",
        "OffenderManager",
        "Team",
    ],
    "health": [
        "ReferralID",
        "NHSNumber",
        "GivenName",
        "FamilyName",
        "BirthDate",
        "Gender",
        "Postcode",
        "Service",
        "ReferralDate",
        "Status",
        "PrimarySubstance",
    ],
    "housing": [
        "TenantRef",
        "Name",
        "DOB",
        "Address",
        "Postcode",
        "AccommodationStatus",
        "Provider",
        "StartDate",
    ],
}
ENCODING = {"police": "utf-8", "probation": "utf-8", "health": "utf-8-sig", "housing": "cp1252"}
DELIMITER = {"police": ",", "probation": "|", "health": ",", "housing": ","}
ID_COLUMN = {
    "police": "NominalID",
    "probation": "CRN",
    "health": "ReferralID",
    "housing": "TenantRef",
}
ID_PATTERN = {
    "police": r"DC\d{8}",
    "probation": r"[A-Z]\d{6}",
    "health": r"H\d{6}-\d{3}",
    "housing": r"T\d{7}",
}
POSTCODE = re.compile(r"^[A-Z]{1,2}\d[A-Z\d]? ?\d[A-Z]{2}$")


def read_rows(path: Path, feed: str) -> tuple[list[str], list[dict[str, str]]]:
    """Header and rows of an extract, decoded as the partner encodes it."""
    text = path.read_bytes().decode(ENCODING[feed])
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=DELIMITER[feed])
    header = next(reader)
    return header, [dict(zip(header, row, strict=True)) for row in reader]


@pytest.fixture(scope="module")
def out(tmp_path_factory: pytest.TempPathFactory) -> GeneratedExtracts:
    base = tmp_path_factory.mktemp("synthetic")
    return generate_partners(base / "extracts", base / "truth" / "truth.parquet", PEOPLE)


@pytest.fixture(scope="module")
def rows(out: GeneratedExtracts) -> dict[str, list[dict[str, str]]]:
    return {feed: read_rows(path, feed)[1] for feed, path in out.files.items()}


@pytest.fixture(scope="module")
def truth(out: GeneratedExtracts) -> dict[tuple[str, str], str]:
    table = pq.read_table(out.truth_path).to_pylist()
    return {(r["source"], r["source_record_id"]): r["person_id"] for r in table}


def people_in(feed: str, truth: dict[tuple[str, str], str]) -> set[str]:
    return {person for (source, _), person in truth.items() if source == feed}


def test_files_are_named_and_counted(
    out: GeneratedExtracts, rows: dict[str, list[dict[str, str]]]
) -> None:
    assert out.people == PEOPLE
    assert {f: p.relative_to(p.parents[1]).as_posix() for f, p in out.files.items()} == {
        "police": "police/police_nominals_20261122.csv",
        "probation": "probation/probation_cases_20261122.psv",
        "health": "health/health_referrals_20261122.csv",
        "housing": "housing/housing_tenancies_20261122.csv",
    }
    assert out.records == {f: len(r) for f, r in rows.items()}
    print("records:", out.records)
    for feed, share in {"police": 0.4, "probation": 0.22, "health": 0.35, "housing": 0.3}.items():
        assert out.records[feed] == pytest.approx(share * PEOPLE, rel=0.15)
    assert not list(out.truth_path.parent.glob("*.part"))


def test_headers_encodings_and_delimiters(out: GeneratedExtracts) -> None:
    for feed, path in out.files.items():
        raw = path.read_bytes()
        assert raw.startswith(b"\xef\xbb\xbf") == (feed == "health")
        header, _ = read_rows(path, feed)
        assert header == COLUMNS[feed]
    housing = out.files["housing"].read_bytes()
    with pytest.raises(UnicodeDecodeError):
        housing.decode("utf-8")
    assert re.search(r"[^\x00-\x7f]", housing.decode("cp1252"))


def test_same_seed_gives_the_same_bytes_whatever_the_date(
    out: GeneratedExtracts, tmp_path: Path
) -> None:
    again = generate_partners(
        tmp_path / "x", tmp_path / "truth.parquet", PEOPLE, extract_date=datetime.date(2027, 1, 5)
    )
    assert again.files["police"].name == "police_nominals_20270105.csv"
    for feed in FEEDS:
        assert again.files[feed].read_bytes() == out.files[feed].read_bytes()
    assert pq.read_table(again.truth_path).equals(pq.read_table(out.truth_path))
    one = generate_partners(tmp_path / "y", tmp_path / "t1.parquet", PEOPLE, feeds=["housing"])
    assert set(one.files) == {"housing"}
    assert one.files["housing"].read_bytes() == out.files["housing"].read_bytes()
    other = generate_partners(
        tmp_path / "z", tmp_path / "t2.parquet", PEOPLE, seed=8, feeds=["housing"]
    )
    assert other.files["housing"].read_bytes() != out.files["housing"].read_bytes()


def test_record_ids_unique_and_truth_covers_every_record(
    rows: dict[str, list[dict[str, str]]], truth: dict[tuple[str, str], str]
) -> None:
    blanks = {}
    for feed, records in rows.items():
        ids = [r[ID_COLUMN[feed]] for r in records]
        present = [i for i in ids if i]
        assert len(present) == len(set(present))
        assert all(re.fullmatch(ID_PATTERN[feed], i) for i in present)
        assert {(feed, i) for i in present} == {k for k in truth if k[0] == feed}
        blanks[feed] = len(ids) - len(present)
        assert blanks[feed] <= 0.01 * len(ids)  # rare rows to quarantine
    print("blank record ids:", blanks)
    assert all(re.fullmatch(r"P\d{7}", p) for p in truth.values())


def test_most_health_and_housing_people_are_in_no_other_feed(
    truth: dict[tuple[str, str], str],
) -> None:
    for feed in ("health", "housing"):
        mine = people_in(feed, truth)
        others = set().union(*(people_in(f, truth) for f in FEEDS if f != feed))
        alone = len(mine - others) / len(mine)
        print(f"{feed}: {alone:.0%} of people in no other feed")
        assert 0.5 < alone < 0.8
    police, probation = people_in("police", truth), people_in("probation", truth)
    # Every probation case is a known offender (bar one whose police row lost its id).
    assert len(probation - police) <= 0.01 * len(probation)


def test_same_person_twice_in_one_extract(truth: dict[tuple[str, str], str]) -> None:
    for feed in ("police", "health"):
        counts = Counter(p for (source, _), p in truth.items() if source == feed)
        assert sum(c > 1 for c in counts.values()) >= 0.01 * len(counts)


def _police_people(
    rows: dict[str, list[dict[str, str]]], truth: dict[tuple[str, str], str]
) -> list[tuple[str, dict[str, str]]]:
    return [(truth[("police", r["NominalID"])], r) for r in rows["police"] if r["NominalID"]]


def test_twins_and_fathers_and_sons(
    rows: dict[str, list[dict[str, str]]], truth: dict[tuple[str, str], str]
) -> None:
    by_home: dict[tuple[str, str], list[tuple[str, dict[str, str]]]] = defaultdict(list)
    for person, r in _police_people(rows, truth):
        if r["Postcode"] and r["Postcode"] != "NF1 1NF":
            by_home[(r["Surname"], r["Postcode"].replace(" ", ""))].append((person, r))
    twins, fathers = set(), set()
    for group in by_home.values():
        for a, ra in group:
            for b, rb in group:
                if a < b and ra["DOB"] and rb["DOB"]:
                    if ra["DOB"] == rb["DOB"] and ra["Forename1"] != rb["Forename1"]:
                        twins.add((a, b))
                    years = abs(int(ra["DOB"][-4:]) - int(rb["DOB"][-4:]))
                    if ra["Forename1"] == rb["Forename1"] and 24 <= years <= 31:
                        fathers.add((a, b))
    print(f"twin pairs: {len(twins)}, father and son pairs: {len(fathers)}")
    assert len(twins) >= 3
    assert len(fathers) >= 3


def test_identifiers_valid_broken_and_in_many_forms(rows: dict[str, list[dict[str, str]]]) -> None:
    nhs = [r["NHSNumber"] for r in rows["health"] if r["NHSNumber"]]
    assert all(n.replace(" ", "").startswith("999") for n in nhs)
    assert any(re.fullmatch(r"999 \d{3} \d{4}", n) for n in nhs)
    bad_nhs = sum(not is_valid_nhs_number(n) for n in nhs)
    assert 0 < bad_nhs < 0.06 * len(nhs)

    pnc = [r["PNCID"] for r in rows["police"] if r["PNCID"]]
    assert any(re.fullmatch(r"\d{4}/\d{7}[A-Z]", p) for p in pnc)
    assert any(re.fullmatch(r"\d{2}/\d{1,7}[A-Z]", p) for p in pnc)
    assert any(re.fullmatch(r"\d{11}[A-Z]", p) for p in pnc)
    bad_pnc = sum(not is_valid_pnc(p) for p in pnc)
    assert 0 < bad_pnc < 0.06 * len(pnc)

    cro = [r["CRONo"] for r in rows["police"] if r["CRONo"]]
    assert "000000/00Z" in cro
    assert any(not is_valid_cro(c) for c in cro)
    assert sum(is_valid_cro(c) for c in cro) > 0.9 * len(cro)

    licence = [r for r in rows["probation"] if r["SentenceType"] == "Licence"]
    assert licence and all(
        re.fullmatch(r"[A-Z]\d{4}[A-Z]{2}", r["NOMSNumber"]) for r in licence if r["NOMSNumber"]
    )
    print(f"invalid NHS {bad_nhs}/{len(nhs)}, invalid police PNC {bad_pnc}/{len(pnc)}")


def test_names_dates_and_addresses_carry_realistic_errors(
    rows: dict[str, list[dict[str, str]]],
) -> None:
    police, probation, housing = rows["police"], rows["probation"], rows["housing"]
    assert any(r["DOB"].startswith("01/01/") for r in police)
    assert any(r["Postcode"] == "NF1 1NF" for r in police)
    assert all(r["Surname"] == r["Surname"].upper() for r in police)
    no_space = sum(" " not in r["Postcode"] for r in probation if r["Postcode"])
    assert no_space > 0.2 * len(probation)
    postcodes = [r["Postcode"].upper() for f in rows.values() for r in f if r.get("Postcode")]
    assert all(POSTCODE.match(p) for p in postcodes if p != "NF1 1NF")

    assert any(re.fullmatch(r"[A-Z' -]+, \S.*", r["Name"]) for r in housing)
    assert any("," not in r["Name"] for r in housing)
    blank_dob = sum(not r["DOB"] for r in housing) / len(housing)
    assert 0.28 < blank_dob < 0.4  # a third of housing records give no date of birth
    homeless = [
        r for r in housing if r["AccommodationStatus"] in ("No fixed abode", "Rough sleeping")
    ]
    assert homeless and all(not r["Address"] and not r["Postcode"] for r in homeless)
    hostels = Counter(
        (r["Address"], r["Postcode"]) for r in housing if r["AccommodationStatus"] == "Hostel"
    )
    assert max(hostels.values()) >= 10

    parses = {
        "police": ("DOB", "%d/%m/%Y"),
        "probation": ("DateOfBirth", "%Y-%m-%d"),
        "health": ("BirthDate", "%Y%m%d"),
        "housing": ("DOB", "%d-%b-%Y"),
    }
    for feed, (column, fmt) in parses.items():
        bad = 0
        for r in rows[feed]:
            try:
                if r[column]:
                    datetime.datetime.strptime(r[column], fmt)
            except ValueError:
                bad += 1
        assert bad <= 0.01 * len(rows[feed])
    formula = [r for r in police if r["Forename2"].startswith("=")]
    assert all(r["Forename2"].startswith("=HYPERLINK(") for r in formula)


def test_the_same_person_differs_between_agencies(
    rows: dict[str, list[dict[str, str]]], truth: dict[tuple[str, str], str]
) -> None:
    police = {p: r for p, r in _police_people(rows, truth)}
    probation = {truth[("probation", r["CRN"])]: r for r in rows["probation"] if r["CRN"]}
    both = police.keys() & probation.keys()
    first_differs = sum(police[p]["Forename1"] != probation[p]["FirstName"].upper() for p in both)
    postcode_differs = sum(
        police[p]["Postcode"].replace(" ", "") != probation[p]["Postcode"].replace(" ", "")
        for p in both
    )
    assert 0.02 * len(both) < first_differs < 0.25 * len(both)
    assert 0.02 * len(both) < postcode_differs < 0.4 * len(both)


def test_identifier_rules() -> None:
    assert is_valid_nhs_number("943 476 5919")
    assert not is_valid_nhs_number("943 476 5918")
    assert nhs_check_digit("999000001") == 8
    assert pnc_check_letter(2013, 686271) == "U"
    for form in ("2013/0686271U", "13/686271U", "20130686271U"):
        assert is_valid_pnc(form)
    assert not is_valid_pnc("2013/0686272U")
    assert is_valid_cro("000000/00Z")


def test_bad_arguments_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="people"):
        generate_partners(tmp_path / "x", tmp_path / "t.parquet", 9)
    with pytest.raises(ValueError, match="unknown feeds"):
        generate_partners(tmp_path / "x", tmp_path / "t.parquet", 100, feeds=["prison"])
    with pytest.raises(ValueError, match="apart"):
        generate_partners(tmp_path / "x", tmp_path / "x" / "t.parquet", 100)


def test_smallest_population(tmp_path: Path) -> None:
    out = generate_partners(tmp_path / "x", tmp_path / "t.parquet", 10)
    for feed, path in out.files.items():
        header, records = read_rows(path, feed)
        assert header == COLUMNS[feed]
        assert len(records) == out.records[feed]


def test_chunks_keep_ids_unique(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from hub.demo.synthetic import generator

    monkeypatch.setattr(generator, "CHUNK_PEOPLE", 700)
    out = generate_partners(tmp_path / "x", tmp_path / "t.parquet", 3000)
    truth = pq.read_table(out.truth_path).to_pylist()
    persons = {r["person_id"] for r in truth}
    assert len({(r["source"], r["source_record_id"]) for r in truth}) == len(truth)
    assert max(persons) <= "P0003000"
    for feed, path in out.files.items():
        _, records = read_rows(path, feed)
        assert len(records) == out.records[feed]
    owner = {r["source_record_id"]: r["person_id"] for r in truth if r["source"] == "police"}
    holders: dict[tuple[str, int], set[str]] = defaultdict(set)
    for r in read_rows(out.files["police"], "police")[1]:
        pnc = r["PNCID"]
        if r["NominalID"] and pnc and is_valid_pnc(pnc):
            year, serial = pnc[:-1].split("/") if "/" in pnc else (pnc[:4], pnc[4:-1])
            holders[(year[-2:], int(serial))].add(owner[r["NominalID"]])
    assert holders and all(len(p) == 1 for p in holders.values())  # never shared across chunks
