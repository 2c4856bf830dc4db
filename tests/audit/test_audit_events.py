"""Typed audit events: every action round-trips through the log, entries written before the types
read back as them, and an entry no type records fails loudly (also in the DPO report)."""

from __future__ import annotations

import dataclasses
import datetime
import json
import secrets
import types
import typing
from pathlib import Path
from typing import Any

import pytest
from audit_helpers import fill_log
from click.testing import CliRunner

from hub.audit.chain import AuditKey, digest, write_head
from hub.audit.codec import check_no_personal_fields, parse_event
from hub.audit.events import (
    EVENT_TYPES,
    EVENTS,
    AuditEvent,
    ConfigChanged,
    MatchRun,
    Operation,
    PersonFound,
    Pull,
    Reidentified,
    Release,
    ReleaseErased,
    ReviewDecision,
)
from hub.audit.log import AuditLog
from hub.cli import main
from hub.config import load_config
from hub.errors import AuditEntryInvalid, AuditError, UnknownAuditAction
from hub.governance.dpo_report import build_dpo_report


def _sample(annotation: Any, name: str) -> Any:
    """A value of ``annotation``'s type, different per attribute."""
    if typing.get_origin(annotation) is typing.Annotated:
        return _sample(typing.get_args(annotation)[0], name)
    if isinstance(annotation, types.UnionType):  # X | None: the X
        return _sample(next(a for a in typing.get_args(annotation) if a is not type(None)), name)
    origin, arguments = typing.get_origin(annotation), typing.get_args(annotation)
    if origin is tuple:
        return (f"{name}-1", f"{name}-2")
    if origin is dict:
        return {f"{name}_a": 2, f"{name}_b": 5}
    if annotation is bool:
        return True
    if annotation is int:
        return len(name) + 1
    assert annotation is str, (name, annotation, origin, arguments)
    return f"{name}-value"


def example(event_type: type[AuditEvent]) -> AuditEvent:
    """An event of ``event_type`` with every attribute set away from its default."""
    hints = typing.get_type_hints(event_type, include_extras=True)
    return event_type(
        **{f.name: _sample(hints[f.name], f.name) for f in dataclasses.fields(event_type)}
    )


def _append_raw(log: AuditLog, key: bytes, fields: dict[str, Any]) -> None:
    """Append an authentic entry holding ``fields``, as some other writer would."""
    last = json.loads(log.path.read_text().splitlines()[-1])
    entry = {"sequence": last["sequence"] + 1, "time": last["time"], "actor": "someone",
             "objects": {}, "counts": {}, "agreement_id": None, "reason": None, **fields,
             "previous_hash": last["hash"]}  # fmt: skip
    entry["hash"] = digest(entry)
    entry["mac"] = AuditKey(key).mac(entry["hash"])
    with log.path.open("a") as handle:
        handle.write(json.dumps(entry, sort_keys=True, separators=(",", ":")) + "\n")
    write_head(log.head_path, AuditKey(key), entry["sequence"], entry["hash"])


@pytest.fixture
def key() -> bytes:
    return secrets.token_bytes(32)


@pytest.fixture
def log(tmp_path: Path, key: bytes) -> AuditLog:
    return AuditLog(tmp_path / "audit", key)


def test_every_action_has_one_type() -> None:
    def subclasses(base: type) -> set[type]:
        return {s for c in base.__subclasses__() for s in {c, *subclasses(c)}}

    concrete = {c for c in subclasses(AuditEvent)
                if "action" in vars(c) and c.__module__ == AuditEvent.__module__}  # fmt: skip
    assert concrete == set(EVENT_TYPES)
    assert len(EVENTS) == len(EVENT_TYPES)
    assert {event.operation for event in EVENT_TYPES} == set(Operation)


@pytest.mark.parametrize("event_type", EVENT_TYPES, ids=lambda t: t.action)
def test_no_event_carries_a_personal_field(event_type: type[AuditEvent]) -> None:
    check_no_personal_fields(event_type)


def test_every_event_round_trips_through_the_log(log: AuditLog) -> None:
    written = [example(event_type) for event_type in EVENT_TYPES]
    entries = [log.record(event) for event in written]
    assert [entry.event for entry in entries] == written
    result, verified = log.verified_events()
    assert result.ok and result.entries == len(written)
    assert [entry.event for entry in verified] == written
    assert [entry.event for entry in log.events()] == written
    assert [entry.sequence for entry in verified] == list(range(1, len(written) + 1))
    assert all(entry.time.tzinfo == datetime.UTC and entry.actor for entry in verified)
    stored = list(log.entries())
    assert [(e["operation"], e["action"]) for e in stored] == [
        (str(t.operation), t.action) for t in EVENT_TYPES
    ]


def test_attributes_left_at_their_default_are_not_written_and_read_back(log: AuditLog) -> None:
    not_found = PersonFound(source="police", source_record_id="X1", records=0, releases=0,
                            reason="SAR-2024-017")  # fmt: skip
    log.record(not_found)
    (stored,) = log.entries()
    assert stored["objects"] == {"source": "police", "source_record_id": "X1"}
    assert stored["counts"] == {"records": 0, "releases": 0}
    assert [e.event for e in log.events()] == [not_found]


def test_entries_written_before_the_types_read_back_as_them() -> None:
    """The keys the log has always held: the same JSON lines, now read as events."""
    release = {"sequence": 7, "operation": "disclosure", "action": "release",
               "objects": {"agreements": ["CSP-IOM-001 v2.1"], "fields": ["person_id"],
                           "key_id": "k1", "manifest_sha256": "ab" * 32, "path": "/w/p/csp/r1",
                           "recipient": "csp", "release_id": "r1"},
               "counts": {"rows": 12, "withheld_not_allowed": 3},
               "agreement_id": "CSP-IOM-001", "reason": "IOM"}  # fmt: skip
    assert parse_event(release) == Release(
        recipient="csp", release_id="r1", path="/w/p/csp/r1", agreements=("CSP-IOM-001 v2.1",),
        fields=("person_id",), key_id="k1", manifest_sha256="ab" * 32, rows=12,
        withheld={"not_allowed": 3}, agreement_id="CSP-IOM-001", reason="IOM",
    )  # fmt: skip
    erasure = {"sequence": 8, "operation": "erasure", "action": "erase_release",
               "objects": {"recipient": "csp", "id": "csp/r1", "files": ["a", "b"]},
               "counts": {"files": 2, "bytes": 10, "age_days": 40, "retention_days": 30},
               "agreement_id": "CSP-IOM-001", "reason": "past retention"}  # fmt: skip
    assert parse_event(erasure) == ReleaseErased(
        recipient="csp", item_id="csp/r1", paths=("a", "b"), files=2, bytes=10, age_days=40,
        retention_days=30, agreement_id="CSP-IOM-001", reason="past retention",
    )  # fmt: skip
    config = {
        "sequence": 9,
        "operation": "configuration",
        "action": "config_changed",
        "objects": {"file": "hub.yaml", "sha256": "cd" * 32},
    }  # before "kind" was logged
    assert parse_event(config) == ConfigChanged(file="hub.yaml", sha256="cd" * 32)


def test_a_review_decision_is_written_as_before(log: AuditLog) -> None:
    log.record(ReviewDecision.of_pair(
        {"pair_id": "p1", "source_l": "police", "record_id_l": "DC1", "source_r": "health",
         "record_id_r": "H1"}, same=False, note="different dates of birth", by="reviewer",
    ))  # fmt: skip
    (stored,) = log.entries()
    assert stored["objects"] == {"pair_id": "p1", "left": "police:DC1", "right": "health:H1",
                                 "decision": "different", "decided_by": "reviewer"}  # fmt: skip
    assert stored["reason"] == "different dates of birth"


def test_an_event_that_would_not_read_back_is_never_written(log: AuditLog) -> None:
    with pytest.raises(AuditError, match="a release event would not read back as written"):
        log.record(dataclasses.replace(example(Release), fields=["person_id"]))  # a list
    with pytest.raises(AuditEntryInvalid, match=r"a new reidentify entry .* found: Input should"):
        log.record(dataclasses.replace(example(Reidentified), found="perhaps"))
    assert list(log.entries()) == []


def test_an_unknown_action_fails_loudly(log: AuditLog, key: bytes) -> None:
    fill_log(log, 2)
    _append_raw(log, key, {"operation": "consultation", "action": "lookup",
                           "objects": {"feed": "police"}})  # fmt: skip
    assert log.verify().ok  # the chain is intact: only its meaning is unknown
    with pytest.raises(UnknownAuditAction, match=r"audit entry 3 records the action 'lookup'"):
        log.verified_events()
    with pytest.raises(UnknownAuditAction):
        list(log.events())
    with pytest.raises(UnknownAuditAction):
        parse_event({"sequence": 1, "operation": "collection", "action": "pul"})


DELETED = object()


@pytest.mark.parametrize(
    ("part", "name", "value", "problem"),
    [
        ("objects", "file", DELETED, r"file: Field required"),
        ("counts", "bytes", "many", r"bytes: Input should be a valid integer"),
        ("objects", "surname", "x", r"keys its action does not record: objects.surname"),
        (None, "reason", "because", r"keys its action does not record: reason"),
        (None, "operation", "disclosure", r"is a 'disclosure' operation, not 'collection'"),
    ],
)
def test_an_entry_that_does_not_hold_what_its_action_records_fails(
    part: str | None, name: str, value: Any, problem: str
) -> None:
    pull = {"sequence": 4, "operation": "collection", "action": "pull", "reason": None,
            "objects": {"feed": "police", "file": "f.csv", "sha256": "0" * 64, "source": "/d"},
            "counts": {"bytes": 1}}  # fmt: skip
    where = pull[part] if part else pull
    if value is DELETED:
        del where[name]
    else:
        where[name] = value
    with pytest.raises(AuditEntryInvalid, match=problem) as raised:
        parse_event(pull)
    assert raised.value.message.startswith("audit entry 4 (pull)")
    assert "police" not in raised.value.message  # names fields, never values


def test_the_dpo_report_reads_typed_events(dpo_hub_file: Path, audit_key: bytes) -> None:
    document = build_dpo_report(load_config(dpo_hub_file), datetime.date(2024, 1, 1))
    (reid,) = [c for c in document["consultations"] if c["action"] == Reidentified.action]
    assert reid["objects"]["person_id"] == "P000002" and reid["counts"] == {"records": 1}
    (run,) = document["combination"]
    assert run["action"] == MatchRun.action and run["objects"]["model_version"] == "test-1"
    assert document["collection"][0]["feed"] == "police"
    assert document["collection"][0]["files"] == 2 and document["collection"][0]["bytes"] > 0
    assert document["audit"]["entries_in_period"] == document["audit"]["entries"]
    log = AuditLog(dpo_hub_file.parent.parent / "workspace" / "audit", audit_key)
    last = next(e for e in reversed(list(log.events())) if isinstance(e.event, Pull))
    assert document["collection"][0]["last"] == last.time.isoformat(timespec="milliseconds")

    _append_raw(log, audit_key, {"operation": "disclosure", "action": "release_sent",
                                 "objects": {"recipient": "csp"}})  # fmt: skip
    with pytest.raises(UnknownAuditAction):
        build_dpo_report(load_config(dpo_hub_file), datetime.date(2024, 1, 1))
    result = CliRunner().invoke(main, ["report", "dpo", "--config", str(dpo_hub_file),
                                       "--json"])  # fmt: skip
    assert result.exit_code == 1
    assert "records the action 'release_sent', which no event type records" in result.output
