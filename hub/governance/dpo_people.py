"""The DPO report's counts of people and keys: distinct people per release, per recipient over
all its releases, per month and across every release; people with health data per release; and
the pseudonym key ids each recipient's releases were made under, with their rotations.

People are counted by the hub's person id, read from the releases' sealed pseudonym maps
(opened in memory with the master key by :mod:`hub.run.pseudonym_maps`; only counts leave this
module), so a person in ten releases counts once, never ten times as summed rows would. Health
data is a released Art. 9 column (``SPECIAL_CATEGORY_FIELDS``) holding a value, counted in the
release's own view file. Without the master key the people counts are marked unavailable.
"""

from __future__ import annotations

from typing import Any

from hub.audit.events import AuditEntry, Release
from hub.config import HubConfig
from hub.run.pseudonym_maps import open_pseudonym_maps
from hub.run.release_files import VIEW_STEM
from hub.run.releases import ReleaseInfo, list_releases
from hub.workspace import Workspace
from schemas.duckdb_session import DuckDBSettings, connect
from schemas.errors import HubError
from schemas.sql import quote_identifier, quote_literal
from sharing_agreements.view import PERSON_ID, SPECIAL_CATEGORY_FIELDS


def released_people(config: HubConfig) -> dict[str, Any]:
    """Distinct people per release, per recipient, per month and in all, and people with health
    data per release, over the releases the workspace holds."""
    workspace = Workspace(config.workspace)
    releases = list_releases(config)
    maps = [workspace.release_record(r.recipient, r.release_id).pseudonyms for r in releases]
    held = [path for path in maps if path.is_file()]
    con = connect(DuckDBSettings(threads=2))
    try:
        health = {(r.recipient, r.release_id): _with_health_data(con, r) for r in releases}
        try:
            table = open_pseudonym_maps(con, held, config.settings.master_key_bytes())
        except HubError as error:
            return _unavailable(releases, health, error.message)
        people = f"(SELECT DISTINCT recipient, release_id, person_id FROM {table} " \
                 f"WHERE field = {quote_literal(PERSON_ID)})"  # fmt: skip
        per_release = {
            (str(recipient), str(release_id)): int(count)
            for recipient, release_id, count in con.sql(
                f"SELECT recipient, release_id, count(*) FROM {people} GROUP BY ALL"
            ).fetchall()
        }
        per_recipient = con.sql(
            f"SELECT recipient, count(DISTINCT release_id), count(DISTINCT person_id) "
            f"FROM {people} GROUP BY ALL ORDER BY recipient"
        ).fetchall()
        per_month = con.sql(
            f"SELECT left(release_id, 4) || '-' || substr(release_id, 5, 2) AS month, "
            f"count(DISTINCT person_id) FROM {people} GROUP BY ALL ORDER BY month"
        ).fetchall()
        ((total,),) = con.sql(f"SELECT count(DISTINCT person_id) FROM {people}").fetchall()
    finally:
        con.close()
    return {
        "available": True,
        "note": "",
        "distinct_people": int(total),
        "releases": [
            _release_row(r, per_release.get((r.recipient, r.release_id)), health) for r in releases
        ],
        "by_recipient": [
            {"recipient": str(name), "releases": int(count), "distinct_people": int(people)}
            for name, count, people in per_recipient
        ],
        "by_month": [{"month": str(month), "distinct_people": int(n)} for month, n in per_month],
    }


def _release_row(
    release: ReleaseInfo, people: int | None, health: dict[tuple[str, str], int | None]
) -> dict[str, Any]:
    return {
        "recipient": release.recipient,
        "release_id": release.release_id,
        "created_at": release.created_at.isoformat(timespec="seconds"),
        "rows": release.rows,
        "distinct_people": people,
        "people_with_health_data": health[(release.recipient, release.release_id)],
        "health_fields": sorted(set(release.fields) & SPECIAL_CATEGORY_FIELDS),
        "key_id": release.key_id,
    }


def _unavailable(
    releases: list[ReleaseInfo], health: dict[tuple[str, str], int | None], why: str
) -> dict[str, Any]:
    return {
        "available": False,
        "note": f"people cannot be counted without the master key: {why}",
        "distinct_people": None,
        "releases": [_release_row(r, None, health) for r in releases],
        "by_recipient": [],
        "by_month": [],
    }


def _with_health_data(con: Any, release: ReleaseInfo) -> int | None:
    """People in the release with a value in a health column (None: the view is unreadable)."""
    import duckdb

    columns = sorted(set(release.fields) & SPECIAL_CATEGORY_FIELDS)
    if not columns:
        return 0
    view = release.folder / f"{VIEW_STEM}.parquet"
    condition = " OR ".join(f"{quote_identifier(c)} IS NOT NULL" for c in columns)
    try:
        ((count,),) = con.sql(
            f"SELECT count(*) FROM read_parquet({quote_literal(view)}) WHERE {condition}"
        ).fetchall()
    except duckdb.Error:  # a missing or unreadable view file
        return None
    return int(count)


def pseudonym_keys(entries: list[AuditEntry]) -> list[dict[str, Any]]:
    """Per recipient, each pseudonym key id its releases were made under, in order of first use:
    releases made under it, first and last; a change of key id is a rotation."""
    keys: dict[tuple[str, str], dict[str, Any]] = {}
    for entry in entries:
        release = entry.event
        if not isinstance(release, Release) or not release.key_id:
            continue
        time = entry.time.isoformat(timespec="seconds")
        row = keys.setdefault(
            (release.recipient, release.key_id),
            {"recipient": release.recipient, "key_id": release.key_id, "releases": 0,
             "first": time, "last": time, "rotation": False},
        )  # fmt: skip
        row["releases"] += 1
        row["last"] = time
    seen: set[str] = set()
    for row in keys.values():  # in order of first use
        row["rotation"] = row["recipient"] in seen
        seen.add(row["recipient"])
    return sorted(keys.values(), key=lambda r: (r["recipient"], r["first"]))
