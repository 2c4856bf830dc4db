"""Matching runs end to end on a synthetic population plus hand-made hard cases: twins and a
father and son stay apart, duplicates join, ids last across nights, reviewers' decisions win,
the outputs keep their contract, and the report opens offline."""

from __future__ import annotations

import random
import re
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from matching_shared import ENGINE, Population
from matching_testdata import (
    DUPLICATES,
    HARD_CASES,
    D,
    record,
    write_records,
)

from matching.config import MatchingConfig
from matching.model import MatchModel
from matching.registry import PersonRegistry
from matching.run import MatchCounts, MatchPaths, run_matching
from matching.survivorship import GROUPS, VIEW_FIELDS
from schemas.canonical import arrow_schema

CONFIG = MatchingConfig(engine=ENGINE)


class Workspace:
    """An output folder matched night after night."""

    def __init__(self, root: Path, model: MatchModel) -> None:
        self.root = root
        self.model = model
        self.paths = MatchPaths(root / "matched", root / "matched" / "registry.db", root / "tmp")
        self.nights = 0

    def run(self, files: list[Path]) -> MatchCounts:
        self.nights += 1
        return run_matching(files, self.paths, model=self.model, config=CONFIG,
                            run_id=f"night-{self.nights}")  # fmt: skip

    def person_of(self) -> dict[tuple[str, str], str]:
        table = pq.read_table(self.paths.output_dir / "record_links.parquet")
        return {(r["source"], r["source_record_id"]): r["person_id"] for r in table.to_pylist()}

    def registry(self) -> PersonRegistry:
        return PersonRegistry(self.paths.registry)


@pytest.fixture(scope="module")
def night_one(population: Population, trained_model: MatchModel,
              tmp_path_factory: pytest.TempPathFactory):  # fmt: skip
    """The population and the hard cases, matched once."""
    root = tmp_path_factory.mktemp("night-one")
    files = [*population.staging_files, write_records(root / "hard.parquet", HARD_CASES)]
    workspace = Workspace(root, trained_model)
    counts = workspace.run(files)
    return workspace, files, counts


def _same(person_of: dict[tuple[str, str], str], *keys: tuple[str, str]) -> bool:
    return len({person_of[k] for k in keys}) == 1


def test_twins_do_not_merge(night_one) -> None:
    person_of = night_one[0].person_of()
    jack = [("police", "TW-P1"), ("housing", "TW-H1"), ("health", "TW-D1")]
    harry = [("police", "TW-P2"), ("housing", "TW-H2")]
    assert _same(person_of, *jack)
    assert _same(person_of, *harry)
    assert person_of[jack[0]] != person_of[harry[0]]


def test_father_and_son_do_not_merge_and_the_ambiguous_record_joins_neither(night_one) -> None:
    person_of = night_one[0].person_of()
    father, son = ("police", "FS-P1"), [("probation", "FS-R1"), ("police", "FS-P2")]
    housing = ("housing", "FS-H1")
    assert _same(person_of, *son)
    assert person_of[father] != person_of[son[0]]
    assert person_of[housing] not in (person_of[father], person_of[son[0]])
    review = pq.read_table(night_one[0].paths.output_dir / "review.parquet").to_pylist()
    reasons = {r["reason"] for r in review if "FS-H1" in (r["record_id_l"], r["record_id_r"])}
    assert reasons, "the ambiguous housing record is offered for review"


def test_nicknames_swaps_and_short_pnc_forms_join(night_one) -> None:
    person_of = night_one[0].person_of()
    keys = [("police", "DU-P1"), ("probation", "DU-R1"), ("housing", "DU-H1"),
            ("health", "DU-D1")]  # fmt: skip
    assert _same(person_of, *keys)


def test_outputs_keep_their_contract(night_one) -> None:
    folder = night_one[0].paths.output_dir
    links = pq.read_table(folder / "record_links.parquet")
    assert links.schema.names == ["source", "source_record_id", "extract_id", "person_id",
                                  "match_probability"]  # fmt: skip
    assert links.schema.field("match_probability").type == pa.float64()
    persons = pq.read_table(folder / "persons.parquet")
    expected = ["person_id", "record_count", "sources"]
    for name in VIEW_FIELDS:
        expected += [name, f"{name}__source"]
    expected += [f"{group.name}__candidates" for group in GROUPS]
    assert persons.schema.names == expected
    canonical = arrow_schema()
    for name in VIEW_FIELDS:
        assert persons.schema.field(name).type == canonical.field(name).type, name
    assert persons.schema.field("record_count").type == pa.int64()
    assert persons.schema.field("sources").type == pa.list_(pa.string())
    assert persons.num_rows == len(set(links.column("person_id").to_pylist()))
    rows = links.to_pylist()
    by_person: dict[str, list[dict]] = {}
    for row in rows:
        by_person.setdefault(row["person_id"], []).append(row)
    for group in by_person.values():
        probabilities = [r["match_probability"] for r in group]
        if len(group) == 1:
            assert probabilities == [None]
        else:
            assert all(p is not None and 0 < p <= 1 for p in probabilities)
    assert all(re.fullmatch(r"IOM-\d{6,}", p) for p in by_person)


def test_survivorship_takes_the_trusted_source_and_says_which(night_one) -> None:
    folder = night_one[0].paths.output_dir
    person_of = night_one[0].person_of()
    pid = person_of[("police", "DU-P1")]
    view = {r["person_id"]: r for r in pq.read_table(folder / "persons.parquet").to_pylist()}
    person = view[pid]
    assert person["record_count"] == 4
    assert person["sources"] == ["health", "housing", "police", "probation"]
    assert (person["forename"], person["forename__source"]) == ("Bill", "probation")
    assert person["pnc_id"] == "2013/0686271U" and person["pnc_id__source"] == "police"
    assert person["crn"] == "X654321" and person["crn__source"] == "probation"
    assert person["sex"] == "male" and person["sex__source"] == "health"
    sexes = person["sex__candidates"]
    assert sexes[0] == {"sex": "male", "_source": "health"}
    assert [c["_source"] for c in sexes][1:] == ["probation", "police", "housing"][: len(sexes) - 1]
    assert str(person["date_of_birth"]) == "1982-11-05"
    assert person["offence_type"] is None and person["offence_type__source"] is None


def test_a_second_night_keeps_every_id_and_a_new_record_joins_without_renumbering(
    night_one, tmp_path: Path
) -> None:
    workspace, files, first = night_one
    before = workspace.person_of()
    # Night two: the same people, rows in another order, new extract ids.
    shuffled = []
    rng = random.Random(5)
    for number, path in enumerate(files):
        rows = pq.read_table(path).to_pylist()
        rng.shuffle(rows)
        for row in rows:
            row["extract_id"] = f"{row['source']}-night-two"
        shuffled.append(write_records(tmp_path / f"night-two-{number}.parquet", rows))
    second = workspace.run(shuffled)
    assert workspace.person_of() == before
    assert (second.created, second.merges, second.splits) == (0, 0, 0)
    assert second.persons == first.persons
    # Night three: a new health referral for William Penhaligon (Bill) arrives.
    new = record("health", "DU-D2", forename="Will", surname="Penhaligon",
                 date_of_birth=D(1982, 11, 5),
                 sex="male", postcode="PL4 8AA")  # fmt: skip
    third = workspace.run([*shuffled, write_records(tmp_path / "night-three.parquet", [new])])
    after = workspace.person_of()
    assert {k: v for k, v in after.items() if k in before} == before
    assert after[("health", "DU-D2")] == before[("police", "DU-P1")]
    assert (third.created, third.merges, third.splits) == (0, 0, 0)
    assert third.persons == first.persons


def test_a_crash_before_the_registry_commit_leaves_the_previous_ids_in_force(
    trained_model: MatchModel, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    workspace = Workspace(tmp_path, trained_model)
    hard = write_records(tmp_path / "hard.parquet", HARD_CASES)
    first = workspace.run([hard])
    before = workspace.person_of()
    snapshots = workspace.paths.output_dir / "assignments"
    assert [p.name for p in snapshots.iterdir()] == ["night-1.parquet"]
    # Night two sees only some of the records (one each of two people, so that it drops records
    # without splitting a person), then fails after its snapshot was moved in.
    monkeypatch.setattr(PersonRegistry, "_write_run", _power_cut)
    some = write_records(tmp_path / "some.parquet", HARD_CASES[:2])
    with pytest.raises(OSError, match="power cut"):
        workspace.run([some])
    monkeypatch.undo()
    assert (snapshots / "night-2.parquet").exists()
    assert workspace.person_of() == before
    with workspace.registry() as registry:
        assert registry.assignment_snapshot() == snapshots / "night-1.parquet"
    # Night three: every id as after night one, nothing retired or returned.
    third = workspace.run([hard])
    assert workspace.person_of() == before
    assert (third.created, third.merges, third.splits, third.retired) == (0, 0, 0, 0)
    assert third.persons == first.persons
    assert sorted(p.name for p in snapshots.iterdir()) == ["night-1.parquet", "night-3.parquet"]
    # Night four drops records; night five brings them back to their people.
    workspace.run([some])
    with workspace.registry() as registry:
        kept = pq.read_table(registry.assignment_snapshot()).to_pylist()
    assert {(r["source"], r["source_record_id"]): r["person_id"] for r in kept} == before
    assert sum(not r["present"] for r in kept) == len(HARD_CASES) - 2
    workspace.run([hard])
    assert workspace.person_of() == before


def _power_cut(*_args: object) -> None:
    raise OSError("power cut")


def test_review_decisions_override_the_model_on_every_later_run(
    population: Population, trained_model: MatchModel, tmp_path: Path
) -> None:
    files = [*population.staging_files, write_records(tmp_path / "hard.parquet", HARD_CASES)]
    workspace = Workspace(tmp_path, trained_model)
    workspace.run(files)
    person_of = workspace.person_of()
    jack, harry = ("police", "TW-P1"), ("police", "TW-P2")
    jack_housing = ("housing", "TW-H1")
    assert person_of[jack] != person_of[harry]
    with workspace.registry() as registry:
        registry.decide(jack, harry, True, by="tester", note="one person, two names")
        registry.decide(jack, jack_housing, False, by="tester")
    for _ in range(2):  # the decisions hold on every later run
        counts = workspace.run(files)
        person_of = workspace.person_of()
        assert person_of[jack] == person_of[harry]
        assert person_of[jack] != person_of[jack_housing]
        assert counts.decisions_applied == 2
    review = pq.read_table(workspace.paths.output_dir / "review.parquet").to_pylist()
    decided = {("TW-P1", "TW-P2"), ("TW-H1", "TW-P1")}
    assert not {tuple(sorted((r["record_id_l"], r["record_id_r"]))) for r in review} & decided
    with workspace.registry() as registry:
        assert registry.withdraw(jack, harry)
        events = registry.events()
    assert {"merged", "split"} & {e["kind"] for e in events}
    workspace.run(files)
    assert workspace.person_of()[jack] != workspace.person_of()[harry]


def test_the_report_opens_offline_and_holds_no_personal_data(night_one) -> None:
    html = (night_one[0].paths.output_dir / "report.html").read_text(encoding="utf-8")
    assert not re.search(r"<script[^>]+src\s*=\s*[\"']?https?:", html, re.IGNORECASE)
    assert not re.search(r"<link[^>]+href\s*=\s*[\"']?https?:", html, re.IGNORECASE)
    assert "vegaEmbed" in html and "match-weights" in html
    for name in ("Holloway", "HOLLOWAY", "Tregenza", "TREGENZA", "Penhaligon", "TR15 2QX"):
        assert name not in html


def test_a_repeated_record_id_is_matched_once(trained_model: MatchModel, tmp_path: Path) -> None:
    rows = [*DUPLICATES, DUPLICATES[0] | {"row_number": 99, "forename": "WALTER"}]
    workspace = Workspace(tmp_path, trained_model)
    counts = workspace.run([write_records(tmp_path / "dupes.parquet", rows)])
    links = pq.read_table(workspace.paths.output_dir / "record_links.parquet").to_pylist()
    keys = [(r["source"], r["source_record_id"]) for r in links]
    assert len(keys) == len(set(keys)) == len(DUPLICATES)
    assert counts.duplicate_records == 1


def test_the_report_renders_every_chart_in_chromium_and_loads_nothing(
    night_one, tmp_path: Path
) -> None:
    import os
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "audit"))
    from audit_helpers import chromium_binary, open_in_chromium

    if chromium_binary() is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is missing: run scripts/system-deps as root")
        pytest.skip("chromium is not installed (scripts/system-deps installs it as root)")
    dom, requested = open_in_chromium(night_one[0].paths.output_dir / "report.html", tmp_path)
    assert requested == []
    assert dom.count('class="vega-embed') == 4
    assert dom.count("<canvas") == 4


def test_scoring_in_chunks_scores_the_same_pairs_and_finds_the_same_people(
    population: Population, trained_model: MatchModel, tmp_path: Path
) -> None:
    """Above ``predict_chunk_records`` records the pairs are scored a share at a time: the
    outcome must not depend on it."""
    files = [*population.staging_files, write_records(tmp_path / "hard.parquet", HARD_CASES)]
    outputs = {}
    for chunk in (500, 1_000_000):
        paths = MatchPaths(tmp_path / str(chunk), tmp_path / str(chunk) / "registry.db",
                           tmp_path / "tmp")  # fmt: skip
        config = MatchingConfig(engine=ENGINE.model_copy(update={"predict_chunk_records": chunk}))
        counts = run_matching(files, paths, model=trained_model, config=config, run_id="r")
        outputs[chunk] = paths.output_dir
    assert counts.records > 3 * 500, "several chunks"
    for name in ("scored.parquet", "record_links.parquet"):
        chunked, whole = (pq.read_table(outputs[chunk] / name) for chunk in outputs)
        order = [(column, "ascending") for column in chunked.column_names[:3]]
        assert chunked.sort_by(order).equals(whole.sort_by(order)), name
