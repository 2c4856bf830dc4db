"""Re-identifications and consultations, read back from the audit log for the DPO: who looked,
when, why, at how many people; filterable by account, kind, date range and purpose.

Each access entry (a page view, a command's view, a person look-up, a re-identification, a
subject access pack, a page refused for want of a role) becomes an :class:`AccessEntry`.
:func:`access_about` picks the entries about one person: a consultation naming the person's
pseudonym in a recipient's view (or the hub's person id), a partner record of theirs
(``source:record_id``), a look-up that started from one, or a re-identification that found them.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass

from hub.audit.events import (
    AccessRefused,
    AuditEntry,
    AuditEvent,
    CommandConsultation,
    Consultation,
    PersonFound,
    Reidentified,
    ReidentifyFailed,
    ReidentifyRefused,
    SubjectAccessDisclosed,
)
from hub.audit.log import AuditLog

KINDS = {
    "page": "page view",
    "command": "command",
    "lookup": "person look-up",
    "reidentify": "re-identification",
    "subject_pack": "subject access pack",
    "refused": "page refused",
}
"""Each kind of access, and how the console names it."""


@dataclass(frozen=True)
class AccessEntry:
    """One look at personal data, as the DPO reads it (ids and counts, never values)."""

    sequence: int
    time: datetime.datetime
    who: str
    kind: str
    purpose: str
    people: int
    what: str
    outcome: str

    @property
    def kind_label(self) -> str:
        return KINDS[self.kind]


@dataclass(frozen=True)
class AccessFilter:
    """What the DPO narrows the list to; empty means any."""

    account: str = ""
    kind: str = ""
    since: datetime.date | None = None
    until: datetime.date | None = None
    purpose: str = ""

    def keeps(self, entry: AccessEntry) -> bool:
        day = entry.time.date()
        return (
            (not self.account or entry.who == self.account)
            and (not self.kind or entry.kind == self.kind)
            and (self.since is None or day >= self.since)
            and (self.until is None or day <= self.until)
            and (not self.purpose or self.purpose.lower() in entry.purpose.lower())
        )


@dataclass(frozen=True)
class PersonKeys:
    """What names one person in the log: the hub's id, their partner records (``source:id``)
    and their pseudonyms in each recipient's releases (recipient, pseudonym)."""

    person_id: str | None
    records: frozenset[str]
    pseudonyms: frozenset[tuple[str, str]]


def _described(event: AuditEvent) -> tuple[str, str, int, str, str] | None:
    """Kind, purpose, people, what and outcome of an access event (None: not an access)."""
    if isinstance(event, Consultation):
        what = event.page + (f" (view of {event.view_of})" if event.view_of else "")
        outcome = f"export {event.export}" if event.export else "shown"
        return "page", event.purpose, event.people or len(event.records), what, outcome
    if isinstance(event, CommandConsultation):
        return "command", event.purpose, event.records_shown, event.command, "shown"
    if isinstance(event, PersonFound):
        found = bool(event.records)
        outcome = "found" if found else "found nobody"
        return "lookup", event.reason, int(found), f"from a {event.source} record", outcome
    if isinstance(event, Reidentified):
        outcome = "re-identified" if event.found else "found nobody"
        whose = f"a pseudonym of {event.recipient}"
        return "reidentify", event.reason, int(event.found), whose, outcome
    if isinstance(event, ReidentifyRefused | ReidentifyFailed):
        outcome = "refused" if isinstance(event, ReidentifyRefused) else "failed"
        return "reidentify", event.reason or "", 0, f"a pseudonym of {event.recipient}", outcome
    if isinstance(event, SubjectAccessDisclosed):
        return "subject_pack", event.reason, 1, "response pack to the data subject", "disclosed"
    if isinstance(event, AccessRefused):
        return "refused", "", 0, event.page, f"refused: needs the role {event.role_needed}"
    return None


def _access(entry: AuditEntry) -> AccessEntry | None:
    described = _described(entry.event)
    if described is None:
        return None
    return AccessEntry(entry.sequence, entry.time, entry.user or entry.actor, *described)


def access_entries(audit: AuditLog, only: AccessFilter | None = None) -> list[AccessEntry]:
    """Every access entry of the log, newest first, kept by ``only`` when given."""
    found = [access for entry in audit.events() if (access := _access(entry)) is not None]
    if only is not None:
        found = [entry for entry in found if only.keeps(entry)]
    return found[::-1]


def accounts_seen(entries: Iterable[AccessEntry]) -> list[str]:
    """Every account or operator named in ``entries``, sorted (for the filter's choices)."""
    return sorted({entry.who for entry in entries})


@dataclass(frozen=True)
class AccessAbout:
    """One access entry that concerns a given person."""

    entry: AccessEntry
    how: str
    """What names the person in it, e.g. 'their pseudonym in iom_team's view'."""


def _concerns(entry: AuditEntry, keys: PersonKeys) -> str | None:
    event = entry.event
    if isinstance(event, Consultation):
        if event.view_of and any((event.view_of, p) in keys.pseudonyms for p in event.person_ids):
            return f"their pseudonym in {event.view_of}'s view"
        if not event.view_of and keys.person_id and keys.person_id in event.person_ids:
            return "their person id"
        if any(record in keys.records for record in event.records):
            return "one of their records"
    elif isinstance(event, CommandConsultation):
        if any(record in keys.records for record in event.records):
            return "one of their records"
    elif isinstance(event, PersonFound):
        if f"{event.source}:{event.source_record_id}" in keys.records:
            return "a look-up from one of their records"
        if keys.person_id and event.person_id and keys.person_id in event.person_id.split(", "):
            return "their person id"
    elif isinstance(event, Reidentified):
        if keys.person_id and event.found and event.person_id == keys.person_id:
            return "a pseudonym re-identified as them"
    elif isinstance(event, SubjectAccessDisclosed):
        if keys.person_id and event.person_id == keys.person_id:
            return "their subject access pack"
        if any(record in keys.records for record in event.records):
            return "their subject access pack"
    return None


def access_about(audit: AuditLog, keys: PersonKeys) -> list[AccessAbout]:
    """The access entries about one person, oldest first (read from the entries naming one of
    their ids, records or pseudonyms: a look-up names the record's feed and id apart)."""
    named = {keys.person_id or "", *keys.records, *(p for _, p in keys.pseudonyms)}
    named |= {record.split(":", 1)[-1] for record in keys.records}
    found = []
    for entry in audit.events_mentioning(named):
        how = _concerns(entry, keys)
        access = _access(entry) if how else None
        if how and access:
            found.append(AccessAbout(access, how))
    return found
