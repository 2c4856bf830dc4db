"""The matching services called directly, as any front door calls them: match now, pending
reviews and decisions, explain (record ids are data, never SQL), links export."""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from matching_shared import EXAMPLE_CONFIG

from hub.config import HubConfig, load_config
from hub.demo.synthetic import generate_partners
from hub.errors import InvalidRequest
from hub.keys import write_new_key
from hub.output import Reporter
from hub.run.explain import explain_records
from hub.run.match_run import export_links, match_now
from hub.run.pipeline import run_once
from hub.run.review import ReviewPair, decide_pair, pending_reviews
from hub.workspace import Workspace
from matching.errors import ReviewError

QUIET = Reporter(quiet=True)


@dataclass(frozen=True)
class Matched:
    """A workspace after one full run over a small synthetic population."""

    config: HubConfig
    keys: Path


@pytest.fixture(scope="module")
def matched_hub(tmp_path_factory: pytest.TempPathFactory) -> Matched:
    root = tmp_path_factory.mktemp("services")
    generate_partners(root / "partners", root / "truth.parquet", 400, seed=3)
    for name in ("audit_key", "master_key"):
        write_new_key(root / "keys" / name)
    with pytest.MonkeyPatch.context() as patch:
        for name, value in {"IOMHUB_DROP_ROOT": root / "partners", "IOMHUB_WORKSPACE": root / "ws",
                            "IOMHUB_OUTBOX_ROOT": root / "outbox", "IOMHUB_MIN_AGE_SECONDS": 0,
                            "IOMHUB_SECRETS_DIR": root / "keys"}.items():  # fmt: skip
            patch.setenv(name, str(value))
        config = load_config(EXAMPLE_CONFIG)
        assert not run_once(config, QUIET, command="test").failed
    return Matched(config, root / "keys")


@pytest.fixture
def config(matched_hub: Matched, monkeypatch: pytest.MonkeyPatch) -> HubConfig:
    monkeypatch.setenv("IOMHUB_SECRETS_DIR", str(matched_hub.keys))
    return matched_hub.config


def _linked_pair(config: HubConfig) -> tuple[tuple[str, str], tuple[str, str]]:
    links = pq.read_table(Workspace(config.workspace).root / "matched" / "record_links.parquet")
    by_person: dict[str, list[tuple[str, str]]] = {}
    for row in links.to_pylist():
        by_person.setdefault(row["person_id"], []).append((row["source"], row["source_record_id"]))
    left, right = next(keys for keys in by_person.values() if len(keys) > 1)[:2]
    return left, right


def test_match_now_is_a_run_of_its_own_in_the_state_database(config: HubConfig) -> None:
    result = match_now(config, QUIET)

    assert result.counts is not None and result.counts.persons > 0 and not result.counts.skipped
    state = Workspace(config.workspace).open_state()
    try:
        [run] = [r for r in state.runs() if r["run_id"] == result.run_id]
    finally:
        state.close()
    assert (run["command"], run["status"]) == ("match", "ok")
    assert json.loads(run["summary"])["match"]["persons"] == result.counts.persons
    assert result.as_dict()["match"]["persons"] == result.counts.persons


def test_a_decision_leaves_the_pending_list_and_is_audited(config: HubConfig) -> None:
    pending = pending_reviews(config).pairs
    if not pending:
        pytest.skip("no pair to review in this small population")
    pair = pending[0]
    assert ReviewPair.from_row(pair.as_row()) == pair and "evidence" not in pair.summary()

    decision = decide_pair(config, pair.pair_id, same=False, decided_by="tester", note="checked")

    assert (decision.pair_id, decision.decision, decision.decided_by) == (
        pair.pair_id, "different", "tester")  # fmt: skip
    assert pair.pair_id not in {p.pair_id for p in pending_reviews(config).pairs}
    audit = (Workspace(config.workspace).root / "audit" / "audit.jsonl").read_text()
    assert '"review_decision"' in audit and pair.pair_id in audit
    with pytest.raises(ReviewError, match="waits for review") as raised:
        decide_pair(config, pair.pair_id, same=True, decided_by="tester")
    assert raised.value.exit_code == 2


def test_explain_two_linked_records(config: HubConfig) -> None:
    left, right = _linked_pair(config)

    explained = explain_records(config, left, right)

    assert explained.one_person and {explained.left, explained.right} == {
        f"{left[0]}:{left[1]}", f"{right[0]}:{right[1]}"}  # fmt: skip
    assert explained.evidence.steps and explained.model_version
    assert explained.as_dict()["model"] == explained.model_version


def test_a_quote_in_a_record_id_is_data_not_sql(config: HubConfig, tmp_path: Path) -> None:
    """A record id holding quotes and SQL finds exactly that record, and nothing else."""
    source = Workspace(config.workspace).root / "matched"
    (tmp_path / "ws" / "matched").mkdir(parents=True)
    for name in ("frame.parquet", "record_links.parquet"):
        shutil.copy(source / name, tmp_path / "ws" / "matched" / name)
    frame = pq.read_table(source / "frame.parquet")
    ids = frame.column("source_record_id").to_pylist()
    sources = frame.column("source").to_pylist()
    first = next(i for i, s in enumerate(sources) if s == "police")
    other = (sources[first + 1], ids[first + 1])
    quoted = "O'Neil' OR '1'='1"
    ids[first] = quoted
    frame = frame.set_column(frame.schema.get_field_index("source_record_id"),
                             "source_record_id", pa.array(ids, pa.string()))  # fmt: skip
    pq.write_table(frame, tmp_path / "ws" / "matched" / "frame.parquet")
    copy = config.model_copy(update={"workspace": tmp_path / "ws"})

    explained = explain_records(copy, ("police", quoted), other)

    assert f"police:{quoted}" in (explained.left, explained.right)
    assert explained.person_ids[f"police:{quoted}"] is None  # not in the record links
    for injected in ("x' OR '1'='1", "x'; DROP TABLE frame; --"):
        with pytest.raises(ReviewError, match="no current record"):
            explain_records(copy, ("police", injected), other)


def test_links_export_refuses_an_unknown_file_type(config: HubConfig, tmp_path: Path) -> None:
    with pytest.raises(InvalidRequest, match=r"\.csv or \.parquet") as raised:
        export_links(config, tmp_path / "links.txt")
    assert raised.value.exit_code == 2 and not (tmp_path / "links.txt").exists()
    exported = export_links(config, tmp_path / "links.parquet")
    assert exported.links == pq.read_table(exported.out).num_rows > 0
