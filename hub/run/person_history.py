"""A person's history in the hub, as dated events: created, merged, split, records linked,
review and cohort decisions, cohort membership spells.

:func:`person_history` starts from a person of a release (the recipient's pseudonymous id),
finds the hub's person through the release's sealed pseudonym map, and gathers:

- from the person-id registry (:mod:`matching.registry`): the person's ``created``, ``merged``,
  ``split``, ``retired`` and ``returned`` events, including those of ids merged into theirs;
- from the current assignment snapshot: when each partner's record joined the person (the
  feed only, never the partner's record id);
- from the audit log: every alteration or combination naming one of the person's ids or
  records, by its event class, so a decision of a kind added later (a withdrawal, a split by a
  reviewer) appears without a change here; cohort decisions agreed by both agencies are shown
  as the start or end of a membership spell.

Events carry decisions, strands and the decision-makers' reasons (checked for personal data
when written), never a partner's record id or a personal value. A feed is named only when the
recipient may be told that it knows the person (its release's ``known_to``); any other is "a
partner", and no event counts records (a count could betray an agency the recipient may not be
told of).
"""

from __future__ import annotations

import dataclasses
import datetime
from collections.abc import Iterable
from dataclasses import dataclass

import pyarrow.compute as pc

from hub.audit.events import AuditEntry, Operation
from hub.config import HubConfig
from hub.run.pseudonym_maps import read_pseudonym_map
from hub.workspace import Workspace
from matching.registry import PersonRegistry
from schemas.duckdb_session import DuckDBSettings, connect

SHOWN_OPERATIONS = frozenset({Operation.ALTERATION, Operation.COMBINATION, Operation.ERASURE})
"""Audit entries that change what the hub holds about a person (looks at it are not history)."""
ID_ATTRIBUTES = ("person_id", "person_ids", "into", "merged_into", "related")
RECORD_ATTRIBUTES = ("left", "right", "record", "records")
"""Attributes of audit events naming a person or a record (``source:record_id``)."""
DETAIL_ATTRIBUTES = ("decision", "strand", "agency", "outcome", "reason", "kind")


@dataclass(frozen=True)
class HistoryEvent:
    """One dated event of a person's history."""

    at: datetime.datetime
    kind: str
    """'created', 'merged', 'split', 'retired', 'returned', 'record_linked',
    'cohort_spell_started', 'cohort_spell_ended', or an audit action ('review_decision', ...)."""
    summary: str
    by: str | None = None


@dataclass(frozen=True)
class PersonHistory:
    """A person's history, oldest first."""

    events: tuple[HistoryEvent, ...]


def _named(feed: str, told: frozenset[str]) -> str:
    return f"a {feed}" if feed in told else "a partner's"


def _when(text: str) -> datetime.datetime:
    moment = datetime.datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=datetime.UTC)


def hub_person_id(workspace: Workspace, recipient: str, release_id: str, pseudonym: str,
                  master: bytes) -> str | None:  # fmt: skip
    """The hub's person id behind a release's pseudonymous person id (None if not in it)."""
    path = workspace.release_record(recipient, release_id).pseudonyms
    if not path.exists():
        return None
    table = read_pseudonym_map(path, master)
    mask = pc.and_(pc.equal(table["field"], "person_id"), pc.equal(table["pseudonym"], pseudonym))
    found = table.filter(mask)["person_id"].to_pylist()
    return str(found[0]) if found else None


def _registry_events(registry: PersonRegistry, ids: set[str]) -> list[HistoryEvent]:
    events = []
    for row in registry.events_of(ids):
        kind = row["kind"]
        summary = {
            "created": "became a person of the hub",
            "merged": "another person id's records joined this person (the same person)",
            "split": "records of this person id were found to be of more than one person",
            "retired": "no partner holds a current record",
            "returned": "a partner's record came back",
        }.get(kind, kind.replace("_", " "))
        events.append(HistoryEvent(_when(row["at"]), kind, summary))
    return events


Assigned = tuple[str, str, bool, str]
"""A record of the person: source, source_record_id, present, first_run."""


def _records(registry: PersonRegistry, ids: set[str]) -> list[Assigned]:
    snapshot = registry.assignment_snapshot()
    if snapshot is None:
        return []
    marks = ", ".join("?" for _ in ids)
    with connect(DuckDBSettings(threads=1)) as con:
        rows = con.execute(
            "SELECT source, source_record_id, present, first_run FROM read_parquet(?) "
            f"WHERE person_id IN ({marks}) ORDER BY first_run, source",
            [str(snapshot), *sorted(ids)],
        ).fetchall()
    return [(str(s), str(r), bool(p), str(f)) for s, r, p, f in rows]


def _attribute_values(event: object, names: Iterable[str]) -> set[str]:
    values: set[str] = set()
    for name in names:
        value = getattr(event, name, None)
        if isinstance(value, str):
            values.add(value)
        elif isinstance(value, tuple | list):
            values.update(str(v) for v in value)
    return values


def _audit_event(entry: AuditEntry, told: frozenset[str]) -> HistoryEvent:
    event = entry.event
    named = (f.name for f in dataclasses.fields(event))  # type: ignore[arg-type]
    details = {name: getattr(event, name) for name in named
               if name in DETAIL_ATTRIBUTES and getattr(event, name) not in (None, "")}  # fmt: skip
    feeds = sorted({_named(v.split(":", 1)[0], told)
                    for v in _attribute_values(event, RECORD_ATTRIBUTES)})  # fmt: skip
    if entry.action == "cohort_decision" and details.get("outcome") == "agreed":
        started = details.get("decision") == "select"
        kind = "cohort_spell_started" if started else "cohort_spell_ended"
        summary = f"{'entered' if started else 'left'} the cohort, strand {details.get('strand')}"
        if details.get("reason"):
            summary += f": {details['reason']}"
        return HistoryEvent(entry.time, kind, summary, entry.actor)
    parts = [f"{k}: {v}" for k, v in details.items()]
    if feeds:
        parts.insert(0, " and ".join(feeds) + " record")
    return HistoryEvent(entry.time, entry.action, "; ".join(parts), entry.actor)


def _audit_events(
    config: HubConfig, ids: set[str], records: set[str], told: frozenset[str]
) -> list[HistoryEvent]:
    audit = Workspace(config.workspace).open_audit(config.settings)
    found = []
    for entry in audit.events_mentioning(ids | records):
        if entry.operation not in SHOWN_OPERATIONS:
            continue
        if _attribute_values(entry.event, ID_ATTRIBUTES) & ids or (
            _attribute_values(entry.event, RECORD_ATTRIBUTES) & records
        ):
            found.append(_audit_event(entry, told))
    return found


def person_history(
    config: HubConfig, recipient: str, release_id: str, pseudonym: str,
    told: frozenset[str] = frozenset(),
) -> PersonHistory | None:  # fmt: skip
    """The history of the person ``pseudonym`` names in a release of ``recipient``, oldest
    first, naming only the feeds in ``told``; None when the release's map does not hold them."""
    workspace = Workspace(config.workspace)
    master = config.settings.master_key_bytes()
    person = hub_person_id(workspace, recipient, release_id, pseudonym, master)
    if person is None or not workspace.matched.registry.exists():
        return None
    with PersonRegistry(workspace.matched.registry) as registry:
        merged = registry.merged_into()
        ids = {person} | {old for old, new in merged.items() if new == person}
        events = _registry_events(registry, ids)
        runs = registry.run_times()
        records = _records(registry, ids)
    first_run = min((r[3] for r in records), default=None)
    if first_run in runs and not any(e.kind == "created" for e in events):
        events.append(HistoryEvent(_when(runs[first_run]), "created",
                                   "became a person of the hub"))  # fmt: skip
    for source, _record, _present, run in records:
        if run != first_run and run in runs:
            joined = f"{_named(source, told)} record joined this person"
            events.append(HistoryEvent(_when(runs[run]), "record_linked", joined))
    keys = {f"{source}:{record}" for source, record, _, _ in records}
    events += _audit_events(config, ids, keys, told)
    return PersonHistory(tuple(sorted(events, key=lambda e: e.at)))
