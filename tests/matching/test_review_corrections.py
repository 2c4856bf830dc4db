"""Reviewers' corrections at the clustering step: any automatic link can be split, a withdrawn
decision stops applying, and a "same" never splits records held by a shared valid identifier."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pytest
from matching_shared import ENGINE
from matching_testdata import D, record, write_records

from matching.cluster import ScoredLink, ambiguous_links, cluster_records
from matching.engine import Engine, open_engine
from matching.registry import PersonRegistry
from matching.standardise import build_frame

LINK_WEIGHT = 10.0
PNC = "2013/0686271U"

RECORDS = [
    record("police", "A", forename="Ann", surname="Trelawny", date_of_birth=D(1990, 3, 4),
           pnc_id=PNC),
    record("probation", "C", forename="Anne", surname="Trelawny", date_of_birth=D(1990, 3, 4),
           pnc_id=PNC),
    record("health", "B", forename="Ann", surname="Trelawny", date_of_birth=D(1961, 7, 9)),
    record("housing", "H", forename="Ann", surname="Trelawny", date_of_birth=D(1990, 3, 4)),
]  # fmt: skip


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    engine = open_engine(ENGINE, tmp_path / "spill")
    build_frame(engine, [write_records(tmp_path / "records.parquet", RECORDS)])
    yield engine
    engine.close()


def _ids(engine: Engine) -> dict[str, int]:
    rows = engine.to_arrow("SELECT source_record_id, unique_id FROM frame").to_pylist()
    return {r["source_record_id"]: r["unique_id"] for r in rows}


def _cluster(
    engine: Engine, links: list[tuple[str, str, float]], decided: list[tuple[str, str, bool]]
) -> dict[str, int]:
    """Cluster with these scored pairs (all linkable) and decisions; each record's cluster."""
    ids = _ids(engine)

    def ordered(a: str, b: str) -> tuple[int, int]:
        return min(ids[a], ids[b]), max(ids[a], ids[b])

    scored = [(*ordered(a, b), w) for a, b, w in links]
    engine.register_arrow("scored_arrow", pa.table({
        "unique_id_l": pa.array([s[0] for s in scored], pa.int64()),
        "unique_id_r": pa.array([s[1] for s in scored], pa.int64()),
        "match_weight": pa.array([s[2] for s in scored], pa.float64()),
        "match_probability": pa.array([0.99] * len(scored), pa.float64()),
        "cannot_link": pa.array([False] * len(scored), pa.bool_()),
    }))  # fmt: skip
    engine.create_table("scored", "SELECT * FROM scored_arrow")
    pairs = [(*ordered(a, b), same) for a, b, same in decided]
    engine.register_arrow("decided_arrow", pa.table({
        "unique_id_l": pa.array([p[0] for p in pairs], pa.int64()),
        "unique_id_r": pa.array([p[1] for p in pairs], pa.int64()),
        "same": pa.array([p[2] for p in pairs], pa.bool_()),
    }))  # fmt: skip
    engine.create_table("decided", "SELECT * FROM decided_arrow")
    cluster_records(engine, LINK_WEIGHT)
    rows = engine.to_arrow("SELECT unique_id, cluster_key FROM clusters").to_pylist()
    key = {r["unique_id"]: r["cluster_key"] for r in rows}
    return {name: key[uid] for name, uid in ids.items()}


def test_a_different_decision_splits_an_automatic_link_of_two(engine: Engine) -> None:
    people = _cluster(engine, [("A", "H", 20.0)], [("A", "H", False)])
    assert people["A"] != people["H"]


def test_a_different_decision_splits_a_link_inside_a_larger_person(engine: Engine) -> None:
    links = [("A", "H", 25.0), ("H", "C", 22.0), ("A", "C", 30.0)]
    people = _cluster(engine, links, [("A", "H", False)])
    assert people["A"] != people["H"]
    assert people["A"] == people["C"]


def test_a_different_decision_splits_even_a_shared_identifier(engine: Engine) -> None:
    people = _cluster(engine, [("A", "C", 30.0)], [("A", "C", False)])
    assert people["A"] != people["C"]


def test_without_the_decision_the_link_stands(engine: Engine) -> None:
    people = _cluster(engine, [("A", "H", 20.0)], [])
    assert people["A"] == people["H"]


def test_a_same_decision_never_splits_records_sharing_a_valid_pnc(engine: Engine) -> None:
    # B is a generation apart from A and C; a reviewer says A and B are one person. Joining B
    # would force C (same valid PNC as A) out: the decision is refused instead.
    people = _cluster(engine, [("A", "C", 12.0)], [("A", "B", True)])
    assert people["A"] == people["C"]
    assert people["B"] != people["A"]


def test_a_same_decision_joins_when_no_shared_identifier_is_at_stake(engine: Engine) -> None:
    people = _cluster(engine, [], [("A", "B", True)])
    assert people["A"] == people["B"]


def test_a_withdrawn_decision_leaves_the_registry(tmp_path: Path) -> None:
    with PersonRegistry(tmp_path / "registry.db") as registry:
        registry.decide(("police", "A"), ("housing", "H"), False, by="rita", note="not him")
        assert registry.decisions_table().num_rows == 1
        assert registry.withdraw(("housing", "H"), ("police", "A"))
        assert registry.decisions_table().num_rows == 0
        assert not registry.withdraw(("police", "A"), ("housing", "H"))


def test_a_link_held_by_a_shared_identifier_is_not_ambiguous_beside_a_name_only_one() -> None:
    """A record without a date of birth shares a valid PNC with one namesake and only a name
    with another (who cannot be the same person): the identifier decides, nothing is dropped."""
    father, son, undated = 1, 2, 3
    forbidden = {father: {son}, son: {father}}
    held = ScoredLink(son, undated, 18.4, held=True)
    name_only = ScoredLink(father, undated, 14.0, held=False)
    assert ambiguous_links([held, name_only], forbidden) == set()


def test_two_name_only_links_to_people_who_cannot_be_one_are_both_dropped() -> None:
    father, son, undated = 1, 2, 3
    forbidden = {father: {son}, son: {father}}
    links = [ScoredLink(son, undated, 15.0, held=False), ScoredLink(father, undated, 14.0, False)]
    assert ambiguous_links(links, forbidden) == {(son, undated), (father, undated)}
