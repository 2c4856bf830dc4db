"""Subject access, second step: everything the hub holds about one person, and where it went.

- **Records**: every staged row of every partner record linked to the person (all extracts
  still held), each value as the partner sent it (:class:`HeldRow`).
- **Releases**: every release whose sealed pseudonym map (opened in memory with the master key)
  carries the person, with the row the recipient received read back from the release's own view
  file: the fields and values sent, the pseudonyms as sent (:class:`ReleaseSent`).
- **Access**: every consultation and re-identification about them, from the audit log
  (:mod:`hub.governance.access_log`).

A person is named by the hub's person id, or by ``source:record_id`` for a record no match run
has linked yet (it can then have no release).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

from hub.config import HubConfig
from hub.governance.access_log import AccessAbout, PersonKeys, access_about
from hub.governance.subject_search import staged_files
from hub.run.pseudonym_maps import open_pseudonym_maps
from hub.run.release_files import VIEW_STEM
from hub.run.releases import ReleaseInfo, list_releases
from hub.workspace import Workspace
from schemas.duckdb_session import DuckDBSettings, connect
from schemas.errors import HubError
from schemas.sql import literal_list, quote_identifier, quote_literal
from sharing_agreements.view import PERSON_ID, SPECIAL_CATEGORY_FIELDS

SKIPPED_COLUMNS = frozenset({"warnings"})


class SubjectNotHeld(HubError):
    """No record of that person (or that partner record) is held."""


@dataclass(frozen=True)
class HeldRow:
    """One staged row of a partner record: every value it holds, as held."""

    source: str
    source_record_id: str
    extract_id: str
    values: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class ReleaseSent:
    """One release that carried the person: to whom, under what, and the row as sent."""

    recipient: str
    release_id: str
    created_at: datetime.datetime | None
    agreements: tuple[tuple[str, str], ...]
    """Agreement id and version."""
    pseudonyms: tuple[tuple[str, str], ...]
    """Field and the pseudonym the recipient received in it."""
    values: tuple[tuple[str, str], ...]
    """Field and value as sent (empty when the release's files are no longer held)."""
    held: bool

    @property
    def health_fields(self) -> tuple[str, ...]:
        """Special-category fields sent with a value."""
        return tuple(name for name, _ in self.values if name in SPECIAL_CATEGORY_FIELDS)


@dataclass(frozen=True)
class SubjectHoldings:
    """The answer to a subject access request, as the hub can give it."""

    reference: str
    person_id: str | None
    record_keys: tuple[str, ...]
    rows: tuple[HeldRow, ...]
    releases: tuple[ReleaseSent, ...]
    access: tuple[AccessAbout, ...] = field(default_factory=tuple)
    note: str = ""

    @property
    def partners(self) -> tuple[str, ...]:
        return tuple(sorted({row.source for row in self.rows}))


def _shown(value: Any) -> str:
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def _record_keys(con: Any, workspace: Workspace, reference: str) -> tuple[str | None, list]:
    """The person id and the (source, record id) pairs of the person behind ``reference``."""
    links = workspace.matched.record_links
    if ":" in reference:
        source, _, record_id = reference.partition(":")
        if links.is_file():
            found = con.execute(
                f"SELECT DISTINCT person_id FROM read_parquet({quote_literal(links)}) "
                "WHERE source = ? AND source_record_id = ?",
                [source, record_id],
            ).fetchall()
            if found:
                return _record_keys(con, workspace, str(found[0][0]))
        return None, [(source, record_id)]
    if not links.is_file():
        raise SubjectNotHeld("no match run yet: no person id is known")
    pairs = con.execute(
        f"SELECT DISTINCT source, source_record_id FROM read_parquet({quote_literal(links)}) "
        "WHERE person_id = ? ORDER BY ALL",
        [reference],
    ).fetchall()
    if not pairs:
        raise SubjectNotHeld("nobody with that person id is held")
    return reference, [(str(s), str(r)) for s, r in pairs]


def _rows(con: Any, workspace: Workspace, pairs: list) -> list[HeldRow]:
    """The staged rows of ``pairs``, and of the records of unmatched feeds (never linked, e.g.
    police offences) that carry one of their PNCs."""
    files = staged_files(workspace)
    if not files:
        return []
    links = workspace.matched.record_links
    matched = (
        f"(SELECT DISTINCT source FROM read_parquet({quote_literal(links)}))"
        if links.is_file()
        else "(SELECT NULL)"
    )
    relation = con.execute(
        f"WITH held AS (SELECT * FROM read_parquet({literal_list(files)}, union_by_name = true)),"
        " own AS (SELECT * FROM held WHERE (source, source_record_id) IN "
        "(SELECT unnest(?), unnest(?))) "
        "SELECT * FROM own UNION ALL BY NAME SELECT * FROM held WHERE pnc_id_canonical IN "
        f"(SELECT pnc_id_canonical FROM own) AND source NOT IN {matched} "
        "ORDER BY source, source_record_id, extract_id",
        [[s for s, _ in pairs], [r for _, r in pairs]],
    )
    columns = [d[0] for d in relation.description]
    rows = []
    for values in relation.fetchall():
        row = dict(zip(columns, values, strict=True))
        shown = tuple(
            (name, _shown(value))
            for name, value in row.items()
            if value is not None and name not in SKIPPED_COLUMNS
        )
        rows.append(
            HeldRow(str(row["source"]), str(row["source_record_id"]), str(row["extract_id"]), shown)
        )
    return rows


def _sent_row(con: Any, release: ReleaseInfo, pseudonym: str) -> tuple[tuple[str, str], ...]:
    import duckdb

    view = release.folder / f"{VIEW_STEM}.parquet"
    if not view.is_file():
        return ()
    try:
        relation = con.execute(
            f"SELECT * FROM read_parquet({quote_literal(view)}) "
            f"WHERE {quote_identifier(PERSON_ID)} = ? LIMIT 1",
            [pseudonym],
        )
        columns = [d[0] for d in relation.description]
        found = relation.fetchall()
    except duckdb.Error:  # an unreadable view file: listed without its values
        return ()
    if not found:
        return ()
    return tuple(
        (name, _shown(value))
        for name, value in zip(columns, found[0], strict=True)
        if value is not None
    )


def _releases(config: HubConfig, con: Any, person_id: str) -> list[ReleaseSent]:
    maps = Workspace(config.workspace).all_pseudonym_maps()
    if not maps:
        return []
    table = open_pseudonym_maps(con, maps, config.settings.master_key_bytes())
    hits = con.execute(
        f"SELECT recipient, release_id, field, pseudonym FROM {table} WHERE person_id = ? "
        "ORDER BY release_id, recipient, field",
        [person_id],
    ).fetchall()
    pseudonyms: dict[tuple[str, str], list[tuple[str, str]]] = {}
    for recipient, release_id, name, pseudonym in hits:
        pseudonyms.setdefault((str(recipient), str(release_id)), []).append(
            (str(name), str(pseudonym))
        )
    known = {(r.recipient, r.release_id): r for r in list_releases(config)}
    sent = []
    for (recipient, release_id), names in pseudonyms.items():
        info = known.get((recipient, release_id))
        own = dict(names).get(PERSON_ID)
        sent.append(
            ReleaseSent(
                recipient,
                release_id,
                info.created_at if info else None,
                tuple(sorted(info.agreements.items())) if info else (),
                tuple(names),
                _sent_row(con, info, own) if info and own else (),
                info is not None,
            )
        )
    return sent


def subject_holdings(config: HubConfig, reference: str) -> SubjectHoldings:
    """Everything held about the person named by ``reference`` (a person id, or
    ``source:record_id``); SubjectNotHeld when nothing is."""
    workspace = Workspace(config.workspace)
    con = connect(DuckDBSettings(threads=2))
    try:
        person_id, pairs = _record_keys(con, workspace, reference)
        rows = _rows(con, workspace, pairs)
        if not rows and person_id is None:
            raise SubjectNotHeld("no record with that id is held")
        releases = _releases(config, con, person_id) if person_id else []
    finally:
        con.close()
    keys = tuple(dict.fromkeys(f"{row.source}:{row.source_record_id}" for row in rows)) or tuple(
        f"{s}:{r}" for s, r in pairs
    )
    pseudonyms = frozenset(
        (r.recipient, p) for r in releases for f, p in r.pseudonyms if f == PERSON_ID
    )
    access = access_about(
        workspace.open_audit(config.settings), PersonKeys(person_id, frozenset(keys), pseudonyms)
    )
    note = (
        ""
        if person_id
        else (
            "no match run has linked this record yet: records of other "
            "partners cannot be linked to it, and no release included it"
        )
    )
    return SubjectHoldings(
        reference, person_id, keys, tuple(rows), tuple(releases), tuple(access), note
    )
