"""A shared valid PNC is not outvoted by spelling alone: names swapped and misspelt, with the
same PNC, are one person; a record carrying the number under a name nothing like the other's
is not joined by the number alone."""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq
import pytest
from matching_shared import ENGINE, Population
from matching_testdata import D, record, write_records

import matching.score
from matching.config import MatchingConfig
from matching.model import MatchModel
from matching.run import MatchPaths, run_matching

PNC = "2013/0686271U"
RECORDS = [
    record("police", "IB-P1", forename="HLOMSE", surname="REECE", date_of_birth=D(1987, 6, 2),
           sex="male", postcode="TR1 1AA", pnc_id=PNC),
    record("probation", "IB-R1", forename="Reece", surname="Holmes", date_of_birth=D(1987, 6, 2),
           sex="male", postcode="EX1 9ZZ", pnc_id=PNC),
    record("health", "IB-D1", forename="Margaret", surname="Quiller", sex="female",
           date_of_birth=D(1987, 6, 2), postcode="PL9 9QQ", pnc_id=PNC),
]  # fmt: skip


def _match(population: Population, model: MatchModel, root: Path) -> dict[str, str]:
    files = [*population.staging_files, write_records(root / "backing.parquet", RECORDS)]
    paths = MatchPaths(root / "matched", root / "matched" / "registry.db", root / "tmp")
    run_matching(files, paths, model=model, config=MatchingConfig(engine=ENGINE), run_id="one")
    links = pq.read_table(paths.output_dir / "record_links.parquet").to_pylist()
    return {r["source_record_id"]: r["person_id"] for r in links if r["source_record_id"] in
            {"IB-P1", "IB-R1", "IB-D1"}}  # fmt: skip


def test_a_shared_pnc_is_not_outvoted_by_misspelt_swapped_names(
    population: Population, trained_model: MatchModel, tmp_path: Path
) -> None:
    person_of = _match(population, trained_model, tmp_path)
    assert person_of["IB-P1"] == person_of["IB-R1"]
    assert person_of["IB-D1"] not in (person_of["IB-P1"], person_of["IB-R1"])


def test_without_the_backing_spelling_alone_keeps_them_apart(
    population: Population, trained_model: MatchModel, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    monkeypatch.setattr(matching.score, "back_with_identifiers", lambda *args: 0)
    person_of = _match(population, trained_model, tmp_path)
    assert person_of["IB-P1"] != person_of["IB-R1"]
