"""Ingest of partner files through feed YAML alone: bad input gets a clear error, loses nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from helpers import POLICE_HEADER, example_format, police_row, write_police

from schemas import ingest
from schemas.canonical import PersonRecord
from schemas.errors import FeedFormatError
from schemas.extract_reader import clean_text
from schemas.feed import FeedFormat
from schemas.ingest import BLOCK_BYTES, ingest_file


@pytest.fixture(scope="module")
def police_format() -> FeedFormat:
    return example_format("police")


def _ingest(path: Path, fmt: FeedFormat, tmp_path: Path, feed: str = "police"):
    staging, quarantine = tmp_path / "staging.parquet", tmp_path / "quarantine.parquet"
    result = ingest_file(path, fmt, feed=feed, extract_id=f"{feed}-x", staging_path=staging,
                         quarantine_path=quarantine)  # fmt: skip
    return result, pq.read_table(staging).to_pylist(), pq.read_table(quarantine).to_pylist()


def test_good_rows_become_canonical_records(police_format: FeedFormat, tmp_path: Path) -> None:
    path = write_police(tmp_path, [police_row(), police_row("DC2", pnc="13/686271U")])
    result, rows, rejected = _ingest(path, police_format, tmp_path)
    assert (result.rows_accepted, result.rows_rejected, rejected) == (2, 0, [])
    first = rows[0]
    assert first["pnc_id_canonical"] == "2013/0686271U" == rows[1]["pnc_id_canonical"]
    assert first["postcode_canonical"] == "TR15 9RR"
    assert str(first["date_of_birth"]) == "2001-09-22"
    assert first["sex"] == "male" and first["da_flag"] is False
    assert [r["row_number"] for r in rows] == [1, 2]
    PersonRecord.model_validate(first)  # the Arrow rows satisfy the pydantic contract


def test_empty_file_is_rejected_whole(police_format: FeedFormat, tmp_path: Path) -> None:
    path = tmp_path / "police_nominals_20261122.csv"
    path.write_bytes(b"")
    with pytest.raises(FeedFormatError, match="is empty"):
        _ingest(path, police_format, tmp_path)


def test_header_only_is_rejected_unless_allowed(police_format: FeedFormat, tmp_path: Path) -> None:
    path = write_police(tmp_path, [])
    with pytest.raises(FeedFormatError, match="header but no data rows"):
        _ingest(path, police_format, tmp_path)
    allowed = police_format.model_copy(update={"allow_header_only": True})
    result, rows, _ = _ingest(path, allowed, tmp_path)
    assert result.rows_read == 0 and rows == []


def test_wrong_delimiter_names_the_missing_columns(
    police_format: FeedFormat, tmp_path: Path
) -> None:
    path = write_police(
        tmp_path, [police_row().replace(",", "|")], header=POLICE_HEADER.replace(",", "|")
    )
    with pytest.raises(FeedFormatError, match="missing required column") as caught:
        _ingest(path, police_format, tmp_path)
    assert (
        "delimiter" in str(caught.value)
        and "'NominalID'" not in caught.value.message.split("column(s)")[0]
    )


def test_missing_column_rejects_the_file_naming_it(
    police_format: FeedFormat, tmp_path: Path
) -> None:
    header = POLICE_HEADER.replace(",DAFlag", "")
    row = police_row().rsplit(",", 1)[0]
    path = write_police(tmp_path, [row], header=header)
    with pytest.raises(FeedFormatError, match="'DAFlag'"):
        _ingest(path, police_format, tmp_path)


def test_cp1252_bytes_in_a_utf8_feed_say_where(police_format: FeedFormat, tmp_path: Path) -> None:
    path = write_police(
        tmp_path, [police_row(), police_row("DC2", surname="BRONTË")], encoding="cp1252"
    )
    with pytest.raises(FeedFormatError, match=r"not valid utf-8 at line 3"):
        _ingest(path, police_format, tmp_path)


def test_unknown_extra_column_is_ignored_and_reported(
    police_format: FeedFormat, tmp_path: Path
) -> None:
    path = write_police(tmp_path, [police_row() + ",extra"], header=POLICE_HEADER + ",Notes")
    result, rows, _ = _ingest(path, police_format, tmp_path)
    assert result.unknown_columns == ["Notes"] and len(rows) == 1


def test_unparseable_date_quarantines_the_row_with_reason(
    police_format: FeedFormat, tmp_path: Path
) -> None:
    path = write_police(tmp_path, [police_row(), police_row("DC2", dob="31/02/1990"),
                                   police_row("DC3", offence_date="yesterday")])  # fmt: skip
    result, rows, rejected = _ingest(path, police_format, tmp_path)
    assert [r["source_record_id"] for r in rows] == ["DC00000001", "DC3"]
    assert rejected[0]["row_number"] == 2 and rejected[0]["column"] == "DOB"
    assert rejected[0]["reason"] == "date_of_birth: unparseable date (expected %d/%m/%Y)"
    assert json.loads(rejected[0]["raw_record"])["DOB"] == "31/02/1990"  # nothing lost
    # offence_date is configured on_invalid: flag -> the row stays, the field is empty, a warning
    assert rows[1]["offence_date"] is None
    assert any(w.startswith("offence_date: unparseable date") for w in rows[1]["warnings"])
    assert result.rejections == {"date_of_birth: unparseable date (expected %d/%m/%Y)": 1}


def test_failing_identifiers_are_kept_flagged_and_not_evidence(
    police_format: FeedFormat, tmp_path: Path
) -> None:
    path = write_police(
        tmp_path, [police_row(pnc="2013/0686271X", cro="000000/00Z", postcode="NF1 1NF")]
    )
    _, rows, rejected = _ingest(path, police_format, tmp_path)
    (row,) = rows
    assert rejected == []
    assert row["pnc_id"] == "2013/0686271X" and row["pnc_id_canonical"] is None
    assert row["cro_number"] == "000000/00Z" and row["cro_number_canonical"] is None
    assert row["postcode"] == "NF1 1NF" and row["postcode_canonical"] is None
    assert "pnc_id: fails its format or check, not used as evidence" in row["warnings"]


def test_formula_in_a_name_is_stored_as_text(police_format: FeedFormat, tmp_path: Path) -> None:
    formula = '"=HYPERLINK(""http://x"",""y"")"'
    path = write_police(tmp_path, [police_row(forename2=formula)])
    _, rows, _ = _ingest(path, police_format, tmp_path)
    assert rows[0]["middle_names"] == '=HYPERLINK("http://x","y")'


def test_blank_record_id_and_ragged_rows_are_quarantined(
    police_format: FeedFormat, tmp_path: Path
) -> None:
    path = write_police(tmp_path, [police_row(), police_row(""), "DC9,too,few"])
    result, rows, rejected = _ingest(path, police_format, tmp_path)
    assert len(rows) == 1 and result.rows_rejected == 2
    reasons = sorted(r["reason"] for r in rejected)
    assert reasons == [
        "row: expected 16 columns, found 3",
        "source_record_id: required value is blank",
    ]


def test_a_file_larger_than_one_block_streams_in_order(
    police_format: FeedFormat, tmp_path: Path
) -> None:
    row_bytes = len(police_row()) + 1
    count = BLOCK_BYTES // row_bytes * 2 + 100
    path = write_police(tmp_path, [police_row(f"DC{i:08d}") for i in range(count)])
    result, _, _ = _ingest(path, police_format, tmp_path)
    numbers = (
        pq.read_table(tmp_path / "staging.parquet", columns=["row_number"]).column(0).to_pylist()
    )
    assert result.rows_accepted == count and numbers == list(range(1, count + 1))


def test_housing_names_in_both_forms_and_cp1252(tmp_path: Path) -> None:
    fmt = example_format("housing")
    path = tmp_path / "housing_tenancies_20261122.csv"
    text = (
        "TenantRef,Name,DOB,Address,Postcode,AccommodationStatus,Provider,StartDate\n"
        'T1234567,"THOMSON, Harvey James",22-Sep-2001,1 Quay St,TR1 2AB,Hostel,FreshStart,'
        "01-Jan-2026\n"
        "T1234568,Zoë Anne Wood,,,,No fixed abode,Council,02-Feb-2026\n"
    )
    path.write_bytes(text.encode("cp1252"))
    _, rows, rejected = _ingest(path, fmt, tmp_path, feed="housing")
    assert rejected == []
    assert (rows[0]["surname"], rows[0]["forename"], rows[0]["middle_names"]) == (
        "THOMSON",
        "Harvey",
        "James",
    )
    assert (rows[1]["surname"], rows[1]["forename"], rows[1]["middle_names"]) == (
        "Wood",
        "Zoë",
        "Anne",
    )
    assert rows[1]["date_of_birth"] is None and str(rows[0]["date_of_birth"]) == "2001-09-22"


def test_health_with_bom_nhs_spaces_and_gender_codes(tmp_path: Path) -> None:
    fmt = example_format("health")
    path = tmp_path / "health_referrals_20261122.csv"
    text = (
        "ReferralID,NHSNumber,GivenName,FamilyName,BirthDate,Gender,Postcode,Service,"
        "ReferralDate,Status,PrimarySubstance\n"
        "H000001-908,943 476 5919,Anna,Wood,19900102,2,tr159rr,Drug and alcohol,2026-10-01,"
        "In treatment,Opiates\n"
    )
    path.write_bytes(b"\xef\xbb\xbf" + text.encode())
    _, rows, _ = _ingest(path, fmt, tmp_path, feed="health")
    assert rows[0]["source_record_id"] == "H000001-908"
    assert rows[0]["nhs_number_canonical"] == "9434765919" and rows[0]["sex"] == "female"
    assert rows[0]["postcode_canonical"] == "TR15 9RR"


def test_probation_pipe_delimited(tmp_path: Path) -> None:
    fmt = example_format("probation")
    path = tmp_path / "probation_cases_20261122.psv"
    path.write_text(
        "CRN|NOMSNumber|PNCNumber|FirstName|SecondName|Surname|DateOfBirth|Gender|Address|"
        "Postcode|OGRSScore|RoSHLevel|SentenceType|SentenceEndDate|OffenderManager|Team\n"
        "S140763|A1234BC|13/686271U|Harvey||Thomson|2001-09-22|Male|1 High St, Truro|TR159RR|"
        "120|High|Licence|2027-01-01|Officer A|Truro 1\n"
    )
    _, rows, _ = _ingest(path, fmt, tmp_path, feed="probation")
    row = rows[0]
    assert (row["crn_canonical"], row["nomis_number_canonical"]) == ("S140763", "A1234BC")
    assert row["ogrs_score"] is None and "ogrs_score: out of range (0 to 99)" in row["warnings"]


def test_repeated_record_ids_are_counted(police_format: FeedFormat, tmp_path: Path) -> None:
    distinct = write_police(tmp_path, [police_row("DC1"), police_row("DC2")])
    result, _, _ = _ingest(distinct, police_format, tmp_path)
    assert result.duplicate_record_ids == 0
    repeated = write_police(tmp_path, [police_row("DC1"), police_row("DC2"), police_row("DC1")])
    result, rows, _ = _ingest(repeated, police_format, tmp_path)
    assert result.duplicate_record_ids == 1 and len(rows) == 3


@pytest.mark.parametrize(
    "values",
    [
        ["  a ", "", " ", "\t", "b"],  # ASCII only
        ["\u00a0Zoë\u00a0", " ", "", "x "],  # non-ASCII: Unicode whitespace trimmed too
        ["a", "b"],  # nothing to clean
    ],
)
def test_text_is_trimmed_and_blank_values_are_null(values: list[str]) -> None:
    column = pa.chunked_array([values[:2], values[2:]], type=pa.string())
    expected = [value.strip() or None for value in values]
    cleaned = clean_text(column)
    cleaned.validate(full=True)
    assert cleaned.to_pylist() == expected


def test_rejections_across_many_batches_keep_their_rows_and_order(
    police_format: FeedFormat, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ingest, "MAPPED_BATCH_ROWS", 2048)
    monkeypatch.setattr(ingest, "QUARANTINE_ROWS_AT_ONCE", 3)
    bad = {7, 2048, 2049, 5000, 9999}  # row numbers with a blank record id or a bad birth date
    rows = [
        police_row("" if n % 2 else f"DC{n:08d}", dob="31/02/2001" if n % 2 == 0 else "01/01/2001")
        if n in bad
        else police_row(f"DC{n:08d}")
        for n in range(1, 10_001)
    ]
    result, accepted, rejected = _ingest(write_police(tmp_path, rows), police_format, tmp_path)
    assert (result.rows_accepted, result.rows_rejected) == (10_000 - len(bad), len(bad))
    assert [r["row_number"] for r in accepted] == [n for n in range(1, 10_001) if n not in bad]
    assert [r["row_number"] for r in rejected] == sorted(bad)
    for record in rejected:
        raw = json.loads(record["raw_record"])
        expected = "" if record["row_number"] % 2 else f"DC{record['row_number']:08d}"
        assert raw["NominalID"] == expected
