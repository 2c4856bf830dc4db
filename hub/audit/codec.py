"""Between audit events and the JSON entries of the log: where each attribute is written, and
reading an entry back as its event (checked by pydantic against the event's types).

An event's attributes go to the entry's ``objects``, its ``counts`` (marked :class:`InCounts` or
:class:`CountsByCode`) or the entry's own ``reason`` and ``agreement_id``; see
:mod:`hub.audit.events`.
"""

from __future__ import annotations

import dataclasses
import datetime
import functools
import typing
from typing import Any

import pydantic

from hub.audit.events import (
    EVENTS,
    AuditEntry,
    AuditEvent,
    CountsByCode,
    InCounts,
    ObjectKey,
)
from hub.errors import AuditEntryInvalid, AuditError, UnknownAuditAction

ENTRY_KEYS = ("agreement_id", "reason")
"""Attributes written as the entry's own keys rather than in its objects."""

OBJECTS, COUNTS, BY_CODE, ENTRY = "objects", "counts", "counts by code", "entry"


@dataclasses.dataclass(frozen=True)
class Slot:
    """Where one attribute of an event class is written."""

    name: str
    place: str
    key: str
    """The key in ``objects`` or ``counts``, the entry key, or the prefix of counts by code."""
    default: Any


@functools.cache
def slots(event_type: type[AuditEvent]) -> tuple[Slot, ...]:
    """Where each attribute of ``event_type`` is written."""
    hints = typing.get_type_hints(event_type, include_extras=True)
    found = []
    for attribute in dataclasses.fields(event_type):
        marks = getattr(hints[attribute.name], "__metadata__", ())
        place, key = (ENTRY, attribute.name) if attribute.name in ENTRY_KEYS else (
            OBJECTS, attribute.name)  # fmt: skip
        for mark in marks:
            if isinstance(mark, InCounts):
                place, key = COUNTS, mark.key or attribute.name
            elif isinstance(mark, CountsByCode):
                place, key = BY_CODE, mark.prefix
            elif isinstance(mark, ObjectKey):
                key = mark.key
        if attribute.default is not dataclasses.MISSING:
            default = attribute.default
        elif attribute.default_factory is not dataclasses.MISSING:
            default = attribute.default_factory()
        else:
            default = dataclasses.MISSING
        found.append(Slot(attribute.name, place, key, default))
    return tuple(found)


@functools.cache
def _personal_fields() -> frozenset[str]:
    """Canonical record fields that hold personal data: never keys of an entry's objects."""
    from schemas.canonical import PROVENANCE_FIELDS, PersonRecord

    return frozenset(PersonRecord.model_fields) - set(PROVENANCE_FIELDS)


@functools.cache
def check_no_personal_fields(event_type: type[AuditEvent]) -> None:
    """Refuse an event type whose objects would carry a personal field of the canonical record."""
    keys = {slot.key for slot in slots(event_type) if slot.place == OBJECTS}
    personal = sorted(keys & _personal_fields())
    if personal:
        raise AuditError(
            f"an audit entry may not carry personal fields ({', '.join(personal)}); "
            "log ids, counts and hashes only"
        )


def entry_fields(event: AuditEvent) -> dict[str, Any]:
    """The ``operation``, ``action``, ``objects``, ``counts``, ``agreement_id`` and ``reason``
    an entry for ``event`` holds. An attribute left at its default is not written."""
    check_no_personal_fields(type(event))
    objects: dict[str, Any] = {}
    counts: dict[str, int] = {}
    written: dict[str, Any] = dict.fromkeys(ENTRY_KEYS)
    for slot in slots(type(event)):
        value = getattr(event, slot.name)
        if slot.place == ENTRY:
            written[slot.key] = value
        elif slot.default is not dataclasses.MISSING and value == slot.default:
            continue
        elif slot.place == OBJECTS:
            objects[slot.key] = list(value) if isinstance(value, tuple) else value
        elif slot.place == COUNTS:
            counts[slot.key] = value
        else:
            counts.update((f"{slot.key}{code}", number) for code, number in value.items())
    for name, number in counts.items():
        if not isinstance(number, int) or isinstance(number, bool):
            raise AuditError(f"audit count {name!r} must be an integer")
    return {"operation": str(event.operation), "action": event.action, "objects": objects,
            "counts": counts, **written}  # fmt: skip


@functools.cache
def _adapter(event_type: type[AuditEvent]) -> pydantic.TypeAdapter[AuditEvent]:
    return pydantic.TypeAdapter(event_type)


def parse_event(entry: dict[str, Any]) -> AuditEvent:
    """The event an entry of the log records; :class:`UnknownAuditAction` for an action no
    event type records, :class:`AuditEntryInvalid` for one that does not hold what it should."""
    action, sequence = entry.get("action"), entry.get("sequence")
    event_type = EVENTS.get(str(action))
    if event_type is None:
        raise UnknownAuditAction(
            f"audit entry {sequence} records the action {action!r}, which no event type records",
            hint="this hub is older than the log, or the log was written by something else",
        )
    where = f"audit entry {sequence} ({action})" if sequence else f"a new {action} entry"
    if entry.get("operation") != event_type.operation:
        raise AuditEntryInvalid(
            f"{where} is a {entry.get('operation')!r} operation, not {str(event_type.operation)!r}"
        )
    values, unknown = _attributes(event_type, entry)
    if unknown:
        raise AuditEntryInvalid(f"{where} holds keys its action does not record: "
                                + ", ".join(sorted(unknown)))  # fmt: skip
    try:
        return _adapter(event_type).validate_python(values)
    except pydantic.ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in problem['loc'])}: {problem['msg']}"
            for problem in error.errors(include_input=False, include_url=False)
        )
        raise AuditEntryInvalid(f"{where} does not hold what its action records: {problems}") from (
            None
        )


def _attributes(
    event_type: type[AuditEvent], entry: dict[str, Any]
) -> tuple[dict[str, Any], set[str]]:
    """The event's attribute values from an entry, and the entry's keys no attribute takes."""
    by_key = {(slot.place, slot.key): slot for slot in slots(event_type)}
    by_code = [slot for slot in slots(event_type) if slot.place == BY_CODE]
    values: dict[str, Any] = {}
    unknown: set[str] = set()
    for key, value in (entry.get("objects") or {}).items():
        slot = by_key.get((OBJECTS, key))
        if slot is None:
            unknown.add(f"objects.{key}")
        else:
            values[slot.name] = value
    for key, value in (entry.get("counts") or {}).items():
        slot = by_key.get((COUNTS, key))
        if slot is not None:
            values[slot.name] = value
            continue
        coded = next((s for s in by_code if key.startswith(s.key)), None)
        if coded is None:
            unknown.add(f"counts.{key}")
        else:
            values.setdefault(coded.name, {})[key.removeprefix(coded.key)] = value
    for key in ENTRY_KEYS:
        slot = by_key.get((ENTRY, key))
        if slot is not None:
            values[slot.name] = entry.get(key)
        elif entry.get(key) is not None:
            unknown.add(key)
    return values, unknown


def parse_entry(entry: dict[str, Any]) -> AuditEntry:
    """An entry of the log, read back with its event."""
    try:
        sequence, actor = int(entry["sequence"]), str(entry["actor"])
        time = datetime.datetime.fromisoformat(str(entry["time"]))
    except (KeyError, TypeError, ValueError) as error:
        raise AuditEntryInvalid(
            f"audit entry {entry.get('sequence')} lacks its sequence, time or actor"
        ) from error
    os_user, user = entry.get("os_user"), entry.get("user")
    return AuditEntry(sequence, time, actor, parse_event(entry),
                      None if os_user is None else str(os_user),
                      None if user is None else str(user))  # fmt: skip
