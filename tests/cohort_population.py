"""A small hand-built matched view and offences feed whose cohort answer is known.

Each person is written as the matched view holds them (values with ``__source``), each offence
as the offences feed stages it; :func:`write_population` writes both into a workspace.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from hub.cohort.inputs import PERSON_FIELDS
from schemas.canonical import arrow_schema

TODAY = datetime.date(2026, 12, 1)
DATE_FIELDS = {"date_of_birth", "offence_date", "sentence_end_date"}
OFFENCE_FEED = "police_offences"


def days_from_today(days: int) -> datetime.date:
    """A date ``days`` after (or before, when negative) :data:`TODAY`."""
    return TODAY + datetime.timedelta(days=days)


def born(age: int) -> datetime.date:
    """A date of birth giving ``age`` on :data:`TODAY`."""
    return datetime.date(TODAY.year - age, 6, 1)


@dataclass
class Person:
    """One person of the view: field -> (value, feed)."""

    person_id: str
    values: dict[str, tuple[Any, str]] = field(default_factory=dict)
    offences: list[tuple[str, int, str]] = field(default_factory=list)
    """(offence type, days before TODAY, outcome), linked through the person's nominal."""
    nominal_id: str | None = None
    link_by_pnc: bool = False
    """Offences carry the person's PNC ID but a nominal id no record link knows."""


def offender(
    person_id: str, *, ogrs: int | None = None, sentence: str | None = "Community Order",
    ends_in_days: int = 400, offences: list[tuple[str, int, str]] | None = None,
    postcode: str = "PL4 6AB", age: int = 30, sex: str = "male", da: bool = False,
    ogrs_from: str = "probation", **extra: tuple[Any, str],
) -> Person:  # fmt: skip
    """A person known to police (and to probation when ``ogrs`` is given)."""
    values: dict[str, tuple[Any, str]] = {
        "date_of_birth": (born(age), "police"),
        "sex": (sex, "police"),
        "postcode": (postcode, "police"),
        "da_flag": (da, "police"),
        "pnc_id": (f"2001/{int(person_id[-3:]):07d}X", "police"),
    }
    if ogrs is not None:
        values["ogrs_score"] = (ogrs, ogrs_from)
        values["offender_manager"] = ("Sam Officer", "probation")
        values["offender_manager_team"] = ("Plymouth Central", "probation")
        if sentence:
            values["sentence_type"] = (sentence, "probation")
            values["sentence_end_date"] = (days_from_today(ends_in_days), "probation")
    values.update(extra)
    return Person(person_id, values, offences or [], nominal_id=f"DC{person_id[-3:]}")


def write_population(workspace: Path, people: list[Person]) -> Path:
    """Write ``matched/persons.parquet``, ``matched/record_links.parquet`` and the offences'
    staging file; return the staging file."""
    matched = workspace / "matched"
    matched.mkdir(parents=True, exist_ok=True)
    columns: dict[str, list[Any]] = {
        "person_id": [p.person_id for p in people],
        "sources": [sorted({feed for _, feed in p.values.values()}) for p in people],
    }
    for name in PERSON_FIELDS:
        columns[name] = [p.values.get(name, (None, None))[0] for p in people]
        columns[f"{name}__source"] = [p.values.get(name, (None, None))[1] for p in people]
    types = {
        name: pa.date32() if name in DATE_FIELDS else None for name in columns
    }  # let Arrow infer the rest
    table = pa.table({name: pa.array(values, type=types[name]) for name, values in columns.items()})
    pq.write_table(table, matched / "persons.parquet")
    links = [(p.nominal_id, p.person_id) for p in people if p.nominal_id and not p.link_by_pnc]
    pq.write_table(
        pa.table({
            "source": ["police"] * len(links),
            "source_record_id": [nominal for nominal, _ in links],
            "person_id": [person for _, person in links],
        }),
        matched / "record_links.parquet",
    )  # fmt: skip
    rows = []
    for person in people:
        for number, (kind, days_ago, outcome) in enumerate(person.offences, start=1):
            pnc = person.values["pnc_id"][0]
            rows.append({
                "source": OFFENCE_FEED, "source_record_id": f"CR{person.person_id}-{number}",
                "extract_id": "x1", "row_number": len(rows) + 1,
                "nominal_id": "DC-UNKNOWN" if person.link_by_pnc else person.nominal_id,
                "pnc_id": pnc, "pnc_id_canonical": pnc,
                "offence_date": days_from_today(-days_ago), "offence_type": kind,
                "outcome": outcome, "warnings": [],
            })  # fmt: skip
    staging = workspace / "staging" / OFFENCE_FEED / "x1.parquet"
    staging.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.Table.from_pylist(rows, schema=arrow_schema("offence")), staging)
    return staging


def make_offences_current(workspace: Path, staging: Path) -> None:
    """Record the offences staged by :func:`write_population` as the feed's current extract
    (as a pull and ingest would), so commands reading the hub's state find them."""
    from connectors.pull import LandedFile
    from hub.state import extract_id_for
    from hub.workspace import Workspace

    sha256 = "0" * 64
    hub_workspace = Workspace(workspace)
    state = hub_workspace.open_state()
    try:
        state.record_landed(LandedFile(OFFENCE_FEED, "police_offences_20261201.csv", 1, 0,
                                       sha256, staging))  # fmt: skip
        extract_id = extract_id_for(OFFENCE_FEED, sha256)
        staging.rename(hub_workspace.staging_file(OFFENCE_FEED, extract_id))
        state.finish_extract(extract_id, "ingested", rows=None, detail={})
    finally:
        state.close()
