"""Reviewers' decisions as services: notes, four eyes, withdrawal, audit first, the queue, labels
and accuracy, and a split that the next match keeps."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from matching_shared import EXAMPLE_CONFIG

from hub.audit.events import (
    ReviewDecision,
    ReviewDecisionHeld,
    ReviewDecisionSeconded,
    ReviewDecisionWithdrawn,
    ReviewNotSure,
)
from hub.config import HubConfig, load_config
from hub.demo.synthetic import generate_partners
from hub.keys import write_new_key
from hub.output import Reporter
from hub.run.match_run import match_now
from hub.run.pipeline import run_once
from hub.run.review import ReviewPair, record_decision
from hub.run.review_decisions import (
    DecisionKind,
    Outcome,
    decide,
    four_eyes_reason,
    list_decisions,
    withdraw,
)
from hub.run.review_labels import LABEL_COLUMNS, labels_csv, model_accuracy
from hub.run.review_queue import PairStatus, QueueFilter, queue_items, queue_page
from hub.settings import HubSettings
from hub.workspace import Workspace
from matching.errors import ReviewError
from matching.registry import PersonRegistry, RecordKey

QUIET = Reporter(quiet=True)


@pytest.fixture(scope="module")
def matched(tmp_path_factory: pytest.TempPathFactory) -> HubConfig:
    root = tmp_path_factory.mktemp("review")
    generate_partners(root / "partners", root / "truth.parquet", 400, seed=3)
    for name in ("audit_key", "master_key"):
        write_new_key(root / "keys" / name)
    environment = {"IOMHUB_DROP_ROOT": root / "partners", "IOMHUB_WORKSPACE": root / "ws",
                   "IOMHUB_OUTBOX_ROOT": root / "outbox", "IOMHUB_MIN_AGE_SECONDS": 0}  # fmt: skip
    config = load_config(EXAMPLE_CONFIG, settings=HubSettings(secrets_dir=root / "keys"),
                         environment={k: str(v) for k, v in environment.items()})  # fmt: skip
    assert not run_once(config, QUIET, command="test").failed
    return config


@pytest.fixture
def config(matched: HubConfig) -> HubConfig:
    """The matched hub with no decision left over from another test."""
    audit = Workspace(matched.workspace).open_audit(matched.settings)
    for row in list_decisions(matched):
        withdraw(matched, audit, row.left, row.right, by="cleanup", note="test reset")
    return matched


def _audit(config: HubConfig):  # type: ignore[no-untyped-def]
    return Workspace(config.workspace).open_audit(config.settings)


def _events(config: HubConfig, kind: type) -> list:  # type: ignore[type-arg]
    return [e.event for e in _audit(config).events() if isinstance(e.event, kind)]


def _linked_pair(config: HubConfig, *, cross_health: bool | None = None) -> tuple[RecordKey, ...]:
    links = pq.read_table(Workspace(config.workspace).matched.record_links).to_pylist()
    by_person: dict[str, list[RecordKey]] = {}
    for row in links:
        by_person.setdefault(row["person_id"], []).append((row["source"], row["source_record_id"]))
    for keys in by_person.values():
        for i, a in enumerate(keys):
            for b in keys[i + 1 :]:
                health = a[0] != b[0] and "health" in (a[0], b[0])
                if cross_health is None or health == cross_health:
                    return a, b
    raise AssertionError("no such linked pair")


def _person_of(config: HubConfig) -> dict[RecordKey, str]:
    links = pq.read_table(Workspace(config.workspace).matched.record_links).to_pylist()
    return {(r["source"], r["source_record_id"]): r["person_id"] for r in links}


def test_a_decision_needs_a_note(config: HubConfig) -> None:
    left, right = _linked_pair(config)
    with pytest.raises(ReviewError, match="note"):
        decide(config, _audit(config), left, right, DecisionKind.DIFFERENT, by="rita", note=" ")
    assert list_decisions(config) == []


def test_a_cross_agency_health_merge_waits_for_a_second_different_reviewer(
    config: HubConfig,
) -> None:
    left, right = _linked_pair(config, cross_health=True)
    assert four_eyes_reason(config, left, right) == "a merge across agencies involving health data"
    first = decide(config, _audit(config), left, right, DecisionKind.SAME, by="rita", note="n1")
    assert first.outcome is Outcome.HELD
    with PersonRegistry(Workspace(config.workspace).matched.registry) as registry:
        assert registry.decisions() == []
    with pytest.raises(ReviewError, match="different reviewer"):
        decide(config, _audit(config), left, right, DecisionKind.SAME, by="rita", note="again")
    second = decide(config, _audit(config), left, right, DecisionKind.SAME, by="sam", note="ok")
    assert second.outcome is Outcome.IN_FORCE
    [row] = list_decisions(config)
    assert (row.status, row.kind, row.decided_by) == ("in force", DecisionKind.SAME, "sam")
    [held] = _events(config, ReviewDecisionHeld)[-1:]
    [seconded] = _events(config, ReviewDecisionSeconded)[-1:]
    assert held.decided_by == seconded.first_by == "rita" and seconded.decided_by == "sam"


def test_four_eyes_can_be_turned_off(config: HubConfig) -> None:
    rules = config.matching.review.model_copy(update={"four_eyes": False})
    relaxed = config.model_copy(
        update={"matching": config.matching.model_copy(update={"review": rules})}
    )
    left, right = _linked_pair(relaxed, cross_health=True)
    assert four_eyes_reason(relaxed, left, right) is None
    result = decide(relaxed, _audit(relaxed), left, right, DecisionKind.SAME, by="rita", note="n")
    assert result.outcome is Outcome.IN_FORCE


def test_a_different_decision_needs_no_second_reviewer(config: HubConfig) -> None:
    left, right = _linked_pair(config, cross_health=True)
    result = decide(config, _audit(config), left, right, DecisionKind.DIFFERENT, by="rita",
                    note="not him")  # fmt: skip
    assert result.outcome is Outcome.IN_FORCE
    assert _events(config, ReviewDecision)[-1].decision == "different"


def test_a_decision_on_a_record_the_last_match_did_not_hold_is_refused(
    config: HubConfig,
) -> None:
    left, _ = _linked_pair(config)
    entries = len(list(_audit(config).events()))
    with pytest.raises(ReviewError, match="no current record health:NOT-HELD"):
        decide(config, _audit(config), left, ("health", "NOT-HELD"), DecisionKind.SAME,
               by="rita", note="n")  # fmt: skip
    assert list_decisions(config) == [] and len(list(_audit(config).events())) == entries


def test_without_an_audit_key_nothing_changes(config: HubConfig, tmp_path: Path) -> None:
    keyless = config.model_copy(update={"settings": HubSettings(secrets_dir=tmp_path)})
    left, right = _linked_pair(config, cross_health=False)
    pair = ReviewPair("x", *left, *right, 0.0, 0.5, "uncertain")
    with pytest.raises(Exception, match="audit_key"):
        record_decision(keyless, pair, same=False, decided_by="rita", note="no key")
    assert list_decisions(config) == []


def test_not_sure_keeps_the_model_deciding_and_is_no_label(config: HubConfig) -> None:
    left, right = _linked_pair(config)
    result = decide(config, _audit(config), left, right, DecisionKind.NOT_SURE, by="rita",
                    note="cannot tell")  # fmt: skip
    assert result.outcome is Outcome.NOTED
    assert [r.status for r in list_decisions(config)] == ["not sure"]
    assert _events(config, ReviewNotSure)[-1].decided_by == "rita"
    assert labels_csv(config)[1] == 0


def test_withdrawal_is_audited_and_a_second_one_is_refused(config: HubConfig) -> None:
    left, right = _linked_pair(config, cross_health=False)
    decide(config, _audit(config), left, right, DecisionKind.DIFFERENT, by="rita", note="n")
    withdrawn = withdraw(config, _audit(config), right, left, by="rita", note="in error")
    assert withdrawn.kind is DecisionKind.DIFFERENT and list_decisions(config) == []
    assert _events(config, ReviewDecisionWithdrawn)[-1].decision == "different"
    with pytest.raises(ReviewError, match="no decision"):
        withdraw(config, _audit(config), left, right, by="rita", note="again")


def test_the_queue_puts_merges_across_agencies_first_and_pages(config: HubConfig) -> None:
    items = queue_items(config)
    if len(items) < 3:
        pytest.skip("too few pairs to review in this small population")
    crossing = [item.cross_agency for item in items]
    assert crossing == sorted(crossing, reverse=True)
    first = queue_page(config, QueueFilter(), page_size=2)
    assert len(first.items) == 2 and first.pages == -(-first.matching // 2)
    assert first.progress.waiting == len(items)
    reason = items[0].reason
    only = queue_page(config, QueueFilter(reason=reason), page_size=1000)
    assert {item.reason for item in only.items} == {reason}
    pair = queue_page(config, QueueFilter(agencies=items[0].agencies), page_size=1000)
    assert {item.agencies for item in pair.items} == {items[0].agencies}
    decide(config, _audit(config), items[0].left, items[0].right, DecisionKind.DIFFERENT,
           by="rita", note="checked")  # fmt: skip
    after = queue_page(config, QueueFilter(status="decided"))
    assert [item.pair_id for item in after.items] == [items[0].pair_id]
    assert after.items[0].status is PairStatus.DECIDED and after.progress.decided == 1


def test_labels_are_in_splinks_format_and_accuracy_reads_them(config: HubConfig) -> None:
    left, right = _linked_pair(config, cross_health=False)
    decide(config, _audit(config), left, right, DecisionKind.DIFFERENT, by="rita", note="n")
    text, count = labels_csv(config)
    rows = list(csv.DictReader(io.StringIO(text)))
    assert count == 1 and tuple(rows[0]) == LABEL_COLUMNS
    assert rows[0]["clerical_match_score"] == "0"
    accuracy = model_accuracy(config)
    assert (accuracy.labels, accuracy.scored) == (1, 1)
    assert accuracy.false_positives == 1 and accuracy.precision == 0.0


def test_a_split_holds_at_the_next_match_until_withdrawn(config: HubConfig) -> None:
    left, right = _linked_pair(config, cross_health=False)
    decide(config, _audit(config), left, right, DecisionKind.DIFFERENT, by="rita", note="split")
    match_now(config, QUIET)
    people = _person_of(config)
    assert people[left] != people[right]
    withdraw(config, _audit(config), left, right, by="rita", note="in error")
    match_now(config, QUIET)
    people = _person_of(config)
    assert people[left] == people[right]
