"""Incremental nightly matching: a night that scores and re-clusters only what changed ends
with the people and ids a full re-match gives; a deleted record leaves its person, a changed
one joins the person it now matches; a full run is taken when asked, when the settings say so,
and when the last full run is too old."""

from __future__ import annotations

import datetime
import shutil
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from matching_shared import ENGINE, Population
from matching_testdata import (
    HARD_CASES,
    D,
    record,
    write_records,
)

from matching.config import IncrementalConfig, MatchingConfig
from matching.incremental import LastRun, usable_last_run
from matching.model import MatchModel
from matching.outputs import MatchOutputs
from matching.run import MatchCounts, MatchPaths, run_matching

CONFIG = MatchingConfig(engine=ENGINE)


def _paths(root: Path) -> MatchPaths:
    return MatchPaths(root / "matched", root / "matched" / "registry.db", root / "tmp")


def _run(root: Path, files: list[Path], model: MatchModel, run_id: str, *, full: bool = False,
         config: MatchingConfig = CONFIG) -> MatchCounts:  # fmt: skip
    return run_matching(files, _paths(root), model=model, config=config, run_id=run_id,
                        full=full)  # fmt: skip


def _person_of(root: Path) -> dict[tuple[str, str], str]:
    table = pq.read_table(root / "matched" / "record_links.parquet")
    return {(r["source"], r["source_record_id"]): r["person_id"] for r in table.to_pylist()}


def _night_two(files: list[Path], folder: Path) -> list[Path]:
    """The next night: every tenth-but-one police record's surname gains a letter, every
    fiftieth housing record is gone, and two records of known people arrive."""
    made = []
    for number, path in enumerate(files):
        rows = pq.read_table(path).to_pylist()
        kept = []
        for index, row in enumerate(rows):
            row["extract_id"] = f"{row['source']}-night-two"
            if row["source"] == "housing" and index % 50 == 7:
                continue
            if row["source"] == "police" and index % 10 == 3 and row["surname"]:
                row["surname"] = row["surname"] + "E"
            kept.append(row)
        made.append(write_records(folder / f"night-two-{number}.parquet", kept))
    new = [
        record("health", "IN-D1", forename="Will", surname="Penhaligon",
               date_of_birth=D(1982, 11, 5), sex="male", postcode="PL4 8AA"),
        record("housing", "IN-H1", forename="Jack", surname="Holloway",
               date_of_birth=D(1999, 4, 17), postcode="TR15 2QX"),
    ]  # fmt: skip
    made.append(write_records(folder / "night-two-new.parquet", new))
    return made


@pytest.fixture(scope="module")
def two_nights(population: Population, trained_model: MatchModel,
               tmp_path_factory: pytest.TempPathFactory):  # fmt: skip
    """Night one in full; night two incrementally, and as a full re-match from the same state."""
    root = tmp_path_factory.mktemp("incremental")
    files = [*population.staging_files, write_records(root / "hard.parquet", HARD_CASES)]
    nightly, full = root / "nightly", root / "full"
    first = _run(nightly, files, trained_model, "night-1")
    shutil.copytree(nightly, full)
    night_two = _night_two(files, root / "extracts")
    incremental = _run(nightly, night_two, trained_model, "night-2")
    rematch = _run(full, night_two, trained_model, "night-2", full=True)
    return first, incremental, rematch, nightly, full


def test_an_incremental_night_equals_a_full_rematch(two_nights) -> None:
    first, incremental, rematch, nightly, full = two_nights
    assert (first.mode, incremental.mode, rematch.mode) == ("full", "incremental", "full")
    assert 0 < incremental.changed_records < incremental.records // 10
    assert incremental.scored_pairs == rematch.scored_pairs
    assert _person_of(nightly) == _person_of(full)
    assert (incremental.persons, incremental.links) == (rematch.persons, rematch.links)


def test_new_records_join_their_people_and_ids_stay(two_nights) -> None:
    _first, incremental, _rematch, nightly, _full = two_nights
    person_of = _person_of(nightly)
    assert person_of[("health", "IN-D1")] == person_of[("police", "DU-P1")]
    assert person_of[("housing", "IN-H1")] == person_of[("police", "TW-P1")]
    assert incremental.merges == incremental.splits == 0


def test_a_deleted_record_leaves_and_a_changed_record_joins_the_right_person(
    trained_model: MatchModel, tmp_path: Path
) -> None:
    ann = dict(forename="Ann", surname="Trevithick", date_of_birth=D(1979, 3, 14), sex="female",
               postcode="TR1 2AB", pnc_id="2013/0686271U")  # fmt: skip
    other = dict(forename="Carol", surname="Penrose", date_of_birth=D(1990, 8, 2), sex="female",
                 postcode="EX4 6PP")  # fmt: skip
    one = [record("police", "A-P", **ann), record("probation", "A-R", **ann),
           record("health", "A-D", **ann), record("housing", "C-H", **other)]  # fmt: skip
    files = [*_population_files(tmp_path), write_records(tmp_path / "one.parquet", one)]
    _run(tmp_path, files, trained_model, "night-1")
    before = _person_of(tmp_path)
    assert before[("police", "A-P")] == before[("health", "A-D")] != before[("housing", "C-H")]
    # Night two: Ann's health record is deleted; the housing record is corrected to Ann's.
    two = [record("police", "A-P", **ann), record("probation", "A-R", **ann),
           record("housing", "C-H", **{**ann, "pnc_id": None})]  # fmt: skip
    files[-1] = write_records(tmp_path / "two.parquet", two)
    counts = _run(tmp_path, files, trained_model, "night-2")
    after = _person_of(tmp_path)
    assert counts.mode == "incremental" and counts.changed_records == 1
    assert ("health", "A-D") not in after
    assert after[("housing", "C-H")] == after[("police", "A-P")] == before[("police", "A-P")]
    # Night three: the housing record changes again, to someone else: it leaves Ann.
    three = [*two[:2], record("housing", "C-H", **other)]
    files[-1] = write_records(tmp_path / "three.parquet", three)
    assert _run(tmp_path, files, trained_model, "night-3").mode == "incremental"
    final = _person_of(tmp_path)
    assert final[("housing", "C-H")] != final[("police", "A-P")] == before[("police", "A-P")]


def _population_files(folder: Path) -> list[Path]:
    """A handful of unrelated people, so the night has a population around it."""
    rows = [record("police", f"N-{n}", forename=name, surname="Kernow", sex="male",
                   date_of_birth=D(1960 + n, 1 + n % 12, 1 + n), postcode=f"PL{n + 1} 1AA")
            for n, name in enumerate(("Peter", "Jowan", "Mark", "Tomas", "Davyth"))]  # fmt: skip
    return [write_records(folder / "others.parquet", rows)]


def test_a_full_run_when_asked_when_switched_off_and_when_the_last_full_run_is_old(
    two_nights, trained_model: MatchModel
) -> None:
    _first, _incremental, rematch, _nightly, full = two_nights
    outputs = MatchOutputs(full / "matched")
    last = LastRun.load(outputs)
    assert last is not None and last.full_run_records == rematch.records
    weights = (trained_model.link_weight, trained_model.review_weight)
    on = last.full_run_on
    allowed = IncrementalConfig(enabled=True, full_every_days=7)
    assert usable_last_run(outputs, allowed, trained_model, *weights, full=False, on=on) == last
    assert usable_last_run(outputs, allowed, trained_model, *weights, full=True, on=on) is None
    off = IncrementalConfig(enabled=False)
    assert usable_last_run(outputs, off, trained_model, *weights, full=False, on=on) is None
    week_later = (D.fromisoformat(on) + datetime.timedelta(days=7)).isoformat()
    assert usable_last_run(outputs, allowed, trained_model, *weights, full=False,
                           on=week_later) is None  # fmt: skip
    other_weights = (weights[0] + 1, weights[1])
    assert usable_last_run(outputs, allowed, trained_model, *other_weights, full=False,
                           on=on) is None  # fmt: skip
