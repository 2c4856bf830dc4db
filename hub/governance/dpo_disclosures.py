"""Disclosures as the DPO's console shows them: per release, who received it, under which
agreement versions, which fields, how many distinct people (and how many with health data), the
pseudonym key id; and per recipient over time, the distinct people across its releases.

People are counted by the hub's person id from the releases' sealed pseudonym maps, through
:func:`hub.governance.dpo_people.released_people` (a person in ten releases counts once). Per
recipient, each release also shows how many of its people that recipient had never received
before and the running total of distinct people (opened here the same way).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from hub.config import HubConfig
from hub.governance.dpo_people import released_people
from hub.run.pseudonym_maps import open_pseudonym_maps
from hub.run.releases import ReleaseInfo, list_releases
from hub.workspace import Workspace
from schemas.duckdb_session import DuckDBSettings, connect
from schemas.errors import HubError
from schemas.sql import quote_literal
from sharing_agreements.view import PERSON_ID


@dataclass(frozen=True)
class ReleaseDisclosure:
    """One release as a disclosure."""

    recipient: str
    release_id: str
    created_at: datetime.datetime
    agreements: tuple[tuple[str, str], ...]
    """Agreement id and version."""
    fields: tuple[str, ...]
    health_fields: tuple[str, ...]
    rows: int | None
    distinct_people: int | None
    people_with_health_data: int | None
    key_id: str | None
    new_people: int | None = None
    """People this recipient had not received in an earlier release."""
    people_so_far: int | None = None
    """Distinct people this recipient has received up to and including this release."""


@dataclass(frozen=True)
class RecipientDisclosures:
    """One recipient over time: its releases, oldest first, and its distinct people."""

    recipient: str
    releases: tuple[ReleaseDisclosure, ...]
    distinct_people: int | None
    first: datetime.datetime
    last: datetime.datetime


@dataclass(frozen=True)
class Disclosures:
    """Every release the workspace holds, and per recipient."""

    releases: tuple[ReleaseDisclosure, ...]
    recipients: tuple[RecipientDisclosures, ...]
    distinct_people: int | None
    note: str


def _growth(
    config: HubConfig, releases: list[ReleaseInfo]
) -> dict[tuple[str, str], tuple[int, int]]:
    """Per (recipient, release): people new to the recipient, and its distinct people so far."""
    workspace = Workspace(config.workspace)
    maps = [workspace.release_record(r.recipient, r.release_id).pseudonyms for r in releases]
    con = connect(DuckDBSettings(threads=2))
    try:
        table = open_pseudonym_maps(
            con, [m for m in maps if m.is_file()], config.settings.master_key_bytes()
        )
        rows = con.sql(
            f"WITH people AS (SELECT DISTINCT recipient, release_id, person_id FROM {table} "
            f"WHERE field = {quote_literal(PERSON_ID)}), first AS (SELECT recipient, person_id, "
            "min(release_id) AS release_id FROM people GROUP BY ALL), "
            "new AS (SELECT recipient, release_id, count(*) AS n FROM first GROUP BY ALL) "
            "SELECT p.recipient, p.release_id, coalesce(any_value(n.n), 0) FROM "
            "(SELECT DISTINCT recipient, release_id FROM people) p LEFT JOIN new n "
            "USING (recipient, release_id) GROUP BY ALL ORDER BY p.recipient, p.release_id"
        ).fetchall()
    finally:
        con.close()
    growth: dict[tuple[str, str], tuple[int, int]] = {}
    totals: dict[str, int] = {}
    for recipient, release_id, new in rows:
        totals[str(recipient)] = totals.get(str(recipient), 0) + int(new)
        growth[(str(recipient), str(release_id))] = (int(new), totals[str(recipient)])
    return growth


def disclosures(config: HubConfig) -> Disclosures:
    """Every release as a disclosure, and each recipient's over time."""
    releases = list_releases(config)
    counted = released_people(config)
    rows = {(r["recipient"], r["release_id"]): r for r in counted["releases"]}
    growth: dict[tuple[str, str], tuple[int, int]] = {}
    if counted["available"]:
        try:
            growth = _growth(config, releases)
        except HubError:  # counted above with the same key: only an unreadable map lands here
            growth = {}
    made = []
    for release in releases:
        key = (release.recipient, release.release_id)
        row = rows[key]
        new, so_far = growth.get(key, (None, None))
        made.append(
            ReleaseDisclosure(
                release.recipient,
                release.release_id,
                release.created_at,
                tuple(sorted(release.agreements.items())),
                tuple(release.fields),
                tuple(row["health_fields"]),
                release.rows,
                row["distinct_people"],
                row["people_with_health_data"],
                release.key_id,
                new,
                so_far,
            )
        )
    per_recipient = {r["recipient"]: r["distinct_people"] for r in counted["by_recipient"]}
    recipients = []
    for name in sorted({r.recipient for r in made}):
        own = tuple(r for r in made if r.recipient == name)
        recipients.append(
            RecipientDisclosures(
                name, own, per_recipient.get(name), own[0].created_at, own[-1].created_at
            )
        )
    return Disclosures(tuple(made), tuple(recipients), counted["distinct_people"], counted["note"])
