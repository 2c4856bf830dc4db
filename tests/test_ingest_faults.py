"""A partner's bad day in one file: huge fields, control characters, conflicting repeated ids."""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq
import pytest
from helpers import example_format, police_row, write_police

from schemas import extract_reader
from schemas.canonical import MAPPABLE_FIELDS, arrow_schema, field_types
from schemas.errors import FeedFormatError
from schemas.feed import FeedFormat
from schemas.field_checks import CONTROL_CHECKED_FIELDS
from schemas.ingest import BLOCK_BYTES, ingest_file
from schemas.mapping_sql import compile_mapping

TOO_LONG = "address: field too long (over 4,000 characters)"


@pytest.fixture(scope="module")
def police_format() -> FeedFormat:
    return example_format("police")


def _ingest(path: Path, fmt: FeedFormat, tmp_path: Path):
    staging, quarantine = tmp_path / "staging.parquet", tmp_path / "quarantine.parquet"
    result = ingest_file(path, fmt, feed="police", extract_id="police-x", staging_path=staging,
                         quarantine_path=quarantine)  # fmt: skip
    return result, pq.read_table(staging).to_pylist(), pq.read_table(quarantine).to_pylist()


def _with_address(nominal_id: str, address: str) -> str:
    return police_row(nominal_id).replace("1 High Street", address)


@pytest.mark.parametrize("position", [0, 40, 80])
def test_a_field_larger_than_the_read_block_quarantines_its_row(
    police_format: FeedFormat, tmp_path: Path, position: int
) -> None:
    huge = "A" * (BLOCK_BYTES * 5 // 2)  # 20 MiB, more than two blocks
    rows = [police_row(f"DC{n}") for n in range(80)]
    rows.insert(position, _with_address("DCHUGE", huge))
    result, accepted, rejected = _ingest(write_police(tmp_path, rows), police_format, tmp_path)
    assert (result.rows_read, result.rows_accepted, result.rows_rejected) == (81, 80, 1)
    assert [(r["row_number"], r["column"], r["reason"]) for r in rejected] == [
        (position + 1, "AddressLine1", TOO_LONG)
    ]
    assert [r["row_number"] for r in accepted] == [n for n in range(1, 82) if n != position + 1]


def test_a_row_longer_than_the_largest_block_rejects_the_file_saying_so(
    police_format: FeedFormat, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(extract_reader, "LARGEST_BLOCK_BYTES", BLOCK_BYTES)
    rows = [police_row("DC1"), _with_address("DC2", "A" * (BLOCK_BYTES * 2)), police_row("DC3")]
    with pytest.raises(FeedFormatError) as raised:
        _ingest(write_police(tmp_path, rows), police_format, tmp_path)
    message = str(raised.value)
    assert "a row longer than 8 MiB after data row 1" in message
    assert "delimiter" not in message and "AAAA" not in message


def test_a_5000_character_address_is_quarantined_as_field_too_long(
    police_format: FeedFormat, tmp_path: Path
) -> None:
    rows = [police_row("DC1"), _with_address("DC2", "é" * 5000), _with_address("DC3", "é" * 4000)]
    result, accepted, rejected = _ingest(write_police(tmp_path, rows), police_format, tmp_path)
    assert [r["source_record_id"] for r in accepted] == ["DC1", "DC3"]  # characters, not bytes
    assert [(r["row_number"], r["column"], r["reason"]) for r in rejected] == [
        (2, "AddressLine1", TOO_LONG)
    ]
    assert result.rejections == {TOO_LONG: 1}


def test_max_field_length_is_the_feeds_to_set(police_format: FeedFormat, tmp_path: Path) -> None:
    strict = police_format.model_copy(update={"max_field_length": 30})
    rows = [police_row("DC1"), _with_address("DC2", "12 The Long Street Name Of The Town")]
    result, _, rejected = _ingest(write_police(tmp_path, rows), strict, tmp_path)
    assert result.rejections == {"address: field too long (over 30 characters)": 1}
    assert [r["row_number"] for r in rejected] == [2]


def test_control_characters_in_names_and_ids_quarantine_the_row(
    police_format: FeedFormat, tmp_path: Path
) -> None:
    rows = [
        police_row("DC1", surname="SM\x00ITH"),
        police_row("DC\x01 2"),
        police_row("DC3", forename="HAR\x7fVEY"),
        police_row("DC4", surname="ZOË"),  # non-ASCII letters are fine
        _with_address("DC5", "Flat 1\x0b2 High Street"),  # not a name or an id: kept
    ]
    result, accepted, rejected = _ingest(write_police(tmp_path, rows), police_format, tmp_path)
    assert [r["source_record_id"] for r in accepted] == ["DC4", "DC5"]
    reason = "contains a control character (NUL, tab, line break or another)"
    assert [(r["row_number"], r["column"], r["reason"]) for r in rejected] == [
        (1, "Surname", f"surname: {reason}"),
        (2, "NominalID", f"source_record_id: {reason}"),
        (3, "Forename1", f"forename: {reason}"),
    ]
    assert result.rows_rejected == 3


def test_an_id_repeated_with_different_content_quarantines_every_copy(
    police_format: FeedFormat, tmp_path: Path
) -> None:
    rows = [
        police_row("DC1"),
        police_row("DC2", surname="SMITH", dob="01/01/1990"),
        police_row("DC3"),
        police_row("DC2", surname="JONES", dob="02/02/1992"),  # same id, another person
        police_row("DC3"),  # same id, same content: one record said twice
    ]
    result, accepted, rejected = _ingest(write_police(tmp_path, rows), police_format, tmp_path)
    assert (result.duplicate_record_ids, result.conflicting_record_ids) == (2, 1)
    assert [(r["source_record_id"], r["row_number"]) for r in accepted] == [
        ("DC1", 1), ("DC3", 3), ("DC3", 5)
    ]  # fmt: skip
    assert [(r["row_number"], r["column"], r["reason"]) for r in rejected] == [
        (2, "NominalID", "source_record_id: repeated with different content"),
        (4, "NominalID", "source_record_id: repeated with different content"),
    ]
    assert (result.rows_accepted, result.rows_rejected) == (3, 2)
    assert result.rejections == {"source_record_id: repeated with different content": 2}
    assert pq.read_schema(tmp_path / "staging.parquet").equals(arrow_schema())


def test_the_field_checks_leave_the_mappings_own_problem_bits_alone() -> None:
    kinds = field_types()
    options = {"date": {"date_format": "%Y"}, "boolean": {"codes": {"Y": True}}}
    every_field = FeedFormat(fields={
        name: {"column": f"col_{name}", **options.get(kinds[name], {})}
        for name in MAPPABLE_FIELDS
    })  # fmt: skip
    compiled = compile_mapping(every_field)
    flags = [p for p in compiled.problems if p.in_flags]
    assert len(flags) == len(MAPPABLE_FIELDS) + len(CONTROL_CHECKED_FIELDS - {"full_name"})
    assert max(p.bit for p in compiled.problems) < 63
