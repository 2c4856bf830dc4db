"""Standardisation: names, nicknames, swapped names, dates of birth, placeholders, identifiers."""

from __future__ import annotations

from pathlib import Path

import pytest
from matching_testdata import D, record, write_records

from matching.config import EngineConfig
from matching.engine import open_engine
from matching.nicknames import roots_of
from matching.standardise import FRAME_COLUMNS, build_frame


@pytest.fixture()
def frame(tmp_path: Path):
    rows = [
        record("police", "A", forename="  MR  Bill-Bob ", middle_names="JOHN",
               surname="O'BRIEN-SMITH", date_of_birth=D(1980, 1, 1), sex="not_known",
               postcode="nf1 1nf", pnc_id="2013/0686271X", address="No fixed abode"),
        record("housing", "B", forename="Zoë", surname="d’Arcy", date_of_birth=D(1899, 5, 5),
               postcode="tr15 9rr", address="12 Acacia Road, Truro"),
        record("health", "C", forename="William", surname="Smith", date_of_birth=D(1990, 3, 12),
               sex="female", nhs_number="943 476 5919"),
    ]  # fmt: skip
    engine = open_engine(EngineConfig(memory_limit="512MB", threads=1), tmp_path / "tmp")
    build_frame(engine, [write_records(tmp_path / "records.parquet", rows)])
    yield {r["source_record_id"]: r for r in engine.to_arrow("SELECT * FROM frame").to_pylist()}
    engine.close()


def test_frame_has_the_documented_columns(frame) -> None:
    assert list(next(iter(frame.values()))) == list(FRAME_COLUMNS)


def test_names_lose_case_titles_punctuation_and_apostrophes(frame) -> None:
    police = frame["A"]
    assert police["forename_std"] == "bill"
    assert police["middle_std"] == ["bob", "john"]
    assert police["surname_std"] == "obriensmith"
    assert police["surname_parts"] == ["obrien", "smith"]
    assert frame["B"]["forename_std"] == "zoe"
    assert frame["B"]["surname_std"] == "darcy"


def test_nicknames_map_to_their_formal_names(frame) -> None:
    assert frame["A"]["forename_roots"] == ["william"]
    assert frame["C"]["forename_roots"] == ["william"]
    assert roots_of("chris") >= {"christopher", "christine"}
    assert not roots_of("christopher") & roots_of("christine")


def test_name_key_ignores_order(frame) -> None:
    assert frame["C"]["name_key"] == "smith william"


def test_first_of_january_is_year_only_and_implausible_dates_are_missing(frame) -> None:
    assert frame["A"]["dob_full"] is None and frame["A"]["birth_year"] == 1980
    assert frame["B"]["dob"] is None
    assert frame["C"]["dob_full"] == D(1990, 3, 12)


def test_placeholders_and_failed_identifiers_are_not_evidence(frame) -> None:
    assert frame["A"]["postcode_std"] is None  # NF1 1NF: no fixed abode
    assert frame["A"]["pnc"] is None  # fails its check letter
    assert frame["A"]["sex_std"] is None
    assert frame["A"]["address_key"] is None
    assert frame["B"]["address_key"] == "12 acacia road"
    assert frame["B"]["postcode_std"] == "TR15 9RR"
    assert frame["B"]["postcode_district"] == "TR15"
    assert frame["C"]["nhs"] == "9434765919"
    assert frame["C"]["sex_std"] == "f"


# (typo, equally common known names it is two edits or fewer from, the one it is read as)
EQUALLY_CLOSE_TYPOS = [
    ("marx", ("mary", "mark"), "mark"),
    ("dav", ("dave", "dan"), "daniel"),
    ("jonn", ("john", "joan"), "joanna"),
    ("pauk", ("paula", "paul"), "paul"),  # paul is one edit away, paula two
]


def _typo_roots(tmp_path: Path, *, threads: int, reverse: bool) -> dict[str, list[str]]:
    rows = []
    for typo, known, _ in EQUALLY_CLOSE_TYPOS:
        names = [typo, *[name for name in known for _ in range(4)]]
        rows += [record("police", f"{typo}-{n}", forename=name, surname=f"Surname{typo}{n}",
                        date_of_birth=D(1980, 2, 3)) for n, name in enumerate(names)]  # fmt: skip
    folder = tmp_path / f"threads-{threads}-reverse-{reverse}"
    engine = open_engine(EngineConfig(memory_limit="512MB", threads=threads), folder / "tmp")
    try:
        build_frame(
            engine, [write_records(folder / "records.parquet", rows[:: -1 if reverse else 1])]
        )
        frame = engine.to_arrow("SELECT forename_std, forename_roots FROM frame").to_pylist()
    finally:
        engine.close()
    typos = {typo for typo, _, _ in EQUALLY_CLOSE_TYPOS}
    return {r["forename_std"]: r["forename_roots"] for r in frame if r["forename_std"] in typos}


def test_a_typo_as_close_to_two_equally_common_names_is_read_the_same_way_every_run(
    tmp_path: Path,
) -> None:
    expected = {typo: sorted([typo, roots]) for typo, _, roots in EQUALLY_CLOSE_TYPOS}
    for threads in (1, 2):
        for reverse in (False, True):
            assert _typo_roots(tmp_path, threads=threads, reverse=reverse) == expected


def test_first_of_january_is_year_only_only_in_a_feed_whose_dates_say_so(tmp_path: Path) -> None:
    # Police write 1 in 10 dates as 01/01 (year only); health have one real 1 January birth.
    rows = [record("police", f"P{n}", forename="Ann", surname=f"Jory{n}",
                   date_of_birth=D(1980, 1, 1) if n % 10 == 0 else D(1980, 3, 1 + n % 28))
            for n in range(100)]  # fmt: skip
    rows += [record("health", f"H{n}", forename="Ann", surname=f"Jory{n}",
                    date_of_birth=D(1981, 1, 1) if n == 0 else D(1981, 5, 1 + n % 28))
             for n in range(1000)]  # fmt: skip
    engine = open_engine(EngineConfig(memory_limit="512MB", threads=1), tmp_path / "tmp")
    try:
        build_frame(engine, [write_records(tmp_path / "records.parquet", rows)])
        frame = {(r["source"], r["source_record_id"]): r
                 for r in engine.to_arrow("SELECT * FROM frame").to_pylist()}  # fmt: skip
    finally:
        engine.close()
    assert frame["police", "P0"]["dob_full"] is None and frame["police", "P0"]["birth_year"] == 1980
    assert frame["health", "H0"]["dob_full"] == D(1981, 1, 1)
