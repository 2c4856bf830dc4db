"""Subject access, first step: find the person a request is about, by name and date of birth or
by any identifier (PNC, CRO, NHS number, CRN, NOMIS number, or a partner's own record id).

The search reads the staged extracts the workspace holds (``staging/<feed>/*.parquet``, every
record as the partners sent it, with its canonical identifiers) and groups what it finds by the
hub's person id from ``matched/record_links.parquet``; a record no match run has linked yet is a
candidate of its own, unless it shares its PNC with a linked person (the police offences feed is
staged, never matched). Names compare case-blind and trimmed; identifiers compare in their
canonical form, so ``1989/4742486e`` finds ``1989/4742486E``. Only what a DPO needs to tell the
candidates apart leaves this module: names, dates of birth and where each record came from.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from pathlib import Path

from hub.config import HubConfig
from hub.workspace import Workspace
from schemas.duckdb_session import DuckDBSettings, connect
from schemas.errors import HubError
from schemas.identifiers import (
    canonical_crn,
    canonical_cro_number,
    canonical_nhs_number,
    canonical_nomis_number,
    canonical_pnc_id,
)
from schemas.sql import literal_list, quote_literal

MAX_CANDIDATES = 50
IDENTIFIER_COLUMNS = {
    "pnc_id_canonical": canonical_pnc_id,
    "cro_number_canonical": canonical_cro_number,
    "nhs_number_canonical": canonical_nhs_number,
    "crn_canonical": canonical_crn,
    "nomis_number_canonical": canonical_nomis_number,
}


class SubjectQueryError(HubError):
    """A subject search that cannot be run as asked (nothing to search by)."""


@dataclass(frozen=True)
class SubjectQuery:
    """What the DPO searches by: surname and date of birth (forename optional), or an id."""

    surname: str = ""
    forename: str = ""
    date_of_birth: datetime.date | None = None
    identifier: str = ""

    @property
    def by_identifier(self) -> bool:
        return bool(self.identifier.strip())

    def check(self) -> None:
        """SubjectQueryError unless the query names an identifier, or a surname and a DOB."""
        if not self.by_identifier and not (self.surname.strip() and self.date_of_birth):
            raise SubjectQueryError(
                "search by surname and date of birth, or by an identifier",
                hint="an identifier is a PNC, CRO, NHS number, CRN, NOMIS number or record id",
            )


@dataclass(frozen=True)
class FoundRecord:
    """One partner record the search found (as the partner wrote the name and date)."""

    source: str
    source_record_id: str
    forename: str | None
    surname: str | None
    date_of_birth: datetime.date | None
    pnc_id: str | None = None
    """Canonical PNC, which ties a record of an unmatched feed (offences) to its person."""

    @property
    def key(self) -> str:
        """``source:record_id``, as the audit log names a partner record."""
        return f"{self.source}:{self.source_record_id}"


@dataclass(frozen=True)
class Candidate:
    """A person the search found: the hub's person id (None before any match run links the
    record), and the records that matched the search."""

    person_id: str | None
    records: tuple[FoundRecord, ...] = field(default_factory=tuple)

    @property
    def reference(self) -> str:
        """What the holdings page is opened by: the person id, or ``source:record_id``."""
        return self.person_id or self.records[0].key


def staged_files(workspace: Workspace) -> list[Path]:
    """Every staged extract the workspace holds."""
    return sorted(workspace.staging.glob("*/*.parquet")) if workspace.staging.is_dir() else []


def _condition(query: SubjectQuery) -> tuple[str, list[object]]:
    if query.by_identifier:
        raw = query.identifier.strip()
        parts, params = ["source_record_id = ?"], [raw]
        for column, canonical in IDENTIFIER_COLUMNS.items():
            value = canonical(raw)
            if value:
                parts.append(f"{column} = ?")
                params.append(value)
        return "(" + " OR ".join(parts) + ")", params
    parts = ["lower(trim(surname)) = ?", "date_of_birth = ?"]
    params: list[object] = [query.surname.strip().lower(), query.date_of_birth]
    if query.forename.strip():
        parts.append("lower(trim(forename)) = ?")
        params.append(query.forename.strip().lower())
    return " AND ".join(parts), params


def find_subject(config: HubConfig, query: SubjectQuery) -> list[Candidate]:
    """The people whose held records match ``query`` (at most :data:`MAX_CANDIDATES`)."""
    query.check()
    workspace = Workspace(config.workspace)
    files = staged_files(workspace)
    if not files:
        return []
    condition, params = _condition(query)
    links = workspace.matched.record_links
    linked = (
        f"LEFT JOIN (SELECT DISTINCT source, source_record_id, person_id FROM "
        f"read_parquet({quote_literal(links)})) l USING (source, source_record_id)"
        if links.is_file()
        else ""
    )
    person = "l.person_id" if linked else "NULL"
    con = connect(DuckDBSettings(threads=2))
    try:
        rows = con.execute(
            f"SELECT DISTINCT {person} AS person_id, s.source, s.source_record_id, "
            f"s.forename, s.surname, s.date_of_birth, s.pnc_id_canonical FROM (SELECT source, "
            "source_record_id, forename, surname, date_of_birth, pnc_id_canonical FROM "
            f"read_parquet({literal_list(files)}, union_by_name = true) WHERE {condition}) s "
            f"{linked} "
            f"ORDER BY person_id NULLS LAST, s.source, s.source_record_id",
            params,
        ).fetchall()
    finally:
        con.close()
    grouped: dict[str, list[FoundRecord]] = {}
    people: dict[str, str | None] = {}
    by_pnc = {pnc: str(person) for person, *_, pnc in rows if person is not None and pnc}
    for person_id, source, record_id, forename, surname, born, pnc in rows:
        record = FoundRecord(str(source), str(record_id), forename, surname, born, pnc)
        person_id = person_id if person_id is not None else by_pnc.get(pnc)
        key = str(person_id) if person_id is not None else record.key
        people[key] = None if person_id is None else str(person_id)
        grouped.setdefault(key, [])
        if record not in grouped[key]:
            grouped[key].append(record)
    return [
        Candidate(people[key], tuple(records))
        for key, records in list(grouped.items())[:MAX_CANDIDATES]
    ]
