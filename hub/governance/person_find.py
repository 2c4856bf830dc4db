"""Subject access and erasure support: everything the hub holds about one person, and to whom
it went.

Starting from one partner record (feed and the partner's record id), the person's internal id is
read from ``matched/record_links.parquet``; every record linked to that id is listed (partner,
record id, extract, whether its staged copy is still held), and every release whose pseudonym
map (``releases/<recipient>/<release_id>/pseudonyms.sealed``, opened in memory with the master
key) contains the id. Each look-up is logged as a ``consultation`` with its reason. The answer
holds ids and places, not the records' contents.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from hub.audit.events import PersonFound
from hub.audit.log import AuditLog
from hub.audit.reasons import refuse_personal_data
from hub.config import HubConfig
from hub.errors import WorkspaceError
from hub.run.pseudonym_maps import open_pseudonym_maps
from hub.run.releases import ReleaseInfo, list_releases
from hub.workspace import Workspace
from schemas.duckdb_session import DuckDBSettings, connect
from schemas.errors import ConfigError, HubError
from schemas.sql import literal_list, quote_literal


class PersonNotFound(HubError):
    """No record with that id is held for that feed."""


@dataclass(frozen=True)
class HeldRecord:
    """One partner record linked to the person."""

    source: str
    source_record_id: str
    extract_id: str
    match_probability: float | None
    staged: bool
    """Whether the extract's staged copy is still held (not yet erased)."""


@dataclass
class PersonHoldings:
    """The answer to 'what do you hold about this person, and who received it'."""

    source: str
    source_record_id: str
    person_id: str | None
    records: list[HeldRecord] = field(default_factory=list)
    releases: list[dict[str, Any]] = field(default_factory=list)
    note: str = ""

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready document."""
        return {
            "source": self.source,
            "source_record_id": self.source_record_id,
            "person_id": self.person_id,
            "records": [asdict(r) for r in self.records],
            "releases": self.releases,
            "note": self.note,
        }


def find_person(config: HubConfig, source: str, record_id: str) -> PersonHoldings:
    """Every record and release held for the person behind ``source``/``record_id``."""
    workspace = Workspace(config.workspace)
    feeds = sorted(feed.name for feed in config.feeds)
    if source not in feeds and not (workspace.staging / source).is_dir():
        raise ConfigError(f"no feed named {source!r}; the feeds are {', '.join(feeds)}",
                          hint="--source takes a feed name")  # fmt: skip
    links = workspace.matched.record_links
    con = connect(DuckDBSettings(threads=2))
    try:
        if not links.exists():
            return _unlinked(workspace, con, source, record_id)
        table = f"read_parquet({quote_literal(links)})"
        found = con.execute(
            f"SELECT DISTINCT person_id FROM {table} WHERE source = ? AND source_record_id = ?",
            [source, record_id],
        ).fetchall()
        if not found:
            raise PersonNotFound(
                f"no record {record_id!r} of feed {source!r} is linked",
                hint="check the feed name and the partner's record id",
            )
        person_ids = sorted(str(row[0]) for row in found)
        rows = con.execute(
            f"SELECT source, source_record_id, extract_id, match_probability FROM {table} "
            f"WHERE person_id IN (SELECT unnest(?)) ORDER BY source, source_record_id, extract_id",
            [person_ids],
        ).fetchall()
        holdings = PersonHoldings(source, record_id, ", ".join(person_ids))
        holdings.records = [
            HeldRecord(
                str(s),
                str(r),
                str(e),
                None if p is None else float(p),
                workspace.staging_file(str(s), str(e)).exists(),
            )
            for s, r, e, p in rows
        ]
        holdings.releases = _releases_with(config, con, person_ids)
        return holdings
    finally:
        con.close()


def _unlinked(workspace: Workspace, con: Any, source: str, record_id: str) -> PersonHoldings:
    """Before any match run: the record's own staged copies only."""
    folder = workspace.staging / source
    files = sorted(folder.glob("*.parquet")) if folder.is_dir() else []
    if not files:
        raise PersonNotFound(f"no staged extract of feed {source!r} is held")
    rows = con.execute(
        f"SELECT DISTINCT extract_id FROM read_parquet({literal_list(files)}) "
        "WHERE source_record_id = ? "
        "ORDER BY extract_id",
        [record_id],
    ).fetchall()
    if not rows:
        raise PersonNotFound(f"no record {record_id!r} of feed {source!r} is held")
    holdings = PersonHoldings(
        source,
        record_id,
        None,
        note="no match run yet: records of other "
        "partners cannot be linked, and no release can include them",
    )
    holdings.records = [HeldRecord(source, record_id, str(e), None, True) for (e,) in rows]
    return holdings


def _releases_with(config: HubConfig, con: Any, person_ids: list[str]) -> list[dict[str, Any]]:
    maps = Workspace(config.workspace).all_pseudonym_maps()
    if not maps:
        return []
    table = open_pseudonym_maps(con, maps, config.settings.master_key_bytes())
    hits = con.execute(
        f"SELECT DISTINCT recipient, release_id FROM {table} WHERE person_id IN (SELECT unnest(?))",
        [person_ids],
    ).fetchall()
    keys = {(str(recipient), str(release_id)) for recipient, release_id in hits}
    known: dict[tuple[str, str], ReleaseInfo] = {
        (r.recipient, r.release_id): r for r in list_releases(config)
    }
    releases = []
    for recipient, release_id in sorted(keys):
        info = known.get((recipient, release_id))
        releases.append(
            {
                "recipient": recipient,
                "release_id": release_id,
                "created_at": info.created_at.isoformat(timespec="seconds") if info else None,
                "agreements": info.agreements if info else {},
                "fields": info.fields if info else [],
                "held": info is not None,
            }
        )
    return releases


def find_and_log(
    config: HubConfig, audit: AuditLog, source: str, record_id: str, reason: str
) -> PersonHoldings:
    """Look the person up and log the consultation (also when nothing is found)."""
    if not reason.strip():
        raise WorkspaceError(
            "a reason is required to look a person up",
            hint="say why, e.g. --reason 'subject access request SAR-2024-017'",
        )
    refuse_personal_data(reason, "a look-up's reason")
    try:
        holdings = find_person(config, source, record_id)
    except PersonNotFound:
        audit.record(
            PersonFound(
                source=source, source_record_id=record_id, records=0, releases=0, reason=reason
            )
        )
        raise
    audit.record(
        PersonFound(
            source=source,
            source_record_id=record_id,
            person_id=holdings.person_id,
            records=len(holdings.records),
            partners=len({r.source for r in holdings.records}),
            releases=len(holdings.releases),
            reason=reason,
        )
    )
    return holdings
