"""Partner records that joined a person already known to the hub, between two releases.

The panel's "what changed" list needs, beside who entered or left the view, the people a
partner newly holds a record of: a record first seen by a match run after the previous release
whose person already had a record before. The registry's assignment snapshot says when each
record was first seen and whose it is; the latest release's sealed pseudonym map turns the
hub's person ids into the recipient's, and only people in that release are listed. A feed is
named only where the release's ``known_to`` names it for that person (the agreement allows
saying so); otherwise the record is "a partner's".
"""

from __future__ import annotations

import datetime
from collections.abc import Collection, Mapping
from dataclasses import dataclass

import pyarrow.compute as pc

from hub.config import HubConfig
from hub.run.pseudonym_maps import read_pseudonym_map
from hub.run.releases import ReleaseInfo
from hub.workspace import Workspace
from matching.registry import PersonRegistry
from schemas.duckdb_session import DuckDBSettings, connect


@dataclass(frozen=True)
class LinkedRecord:
    """A partner's record that joined a person of the view."""

    person_id: str
    """The recipient's (pseudonymous) person id."""
    feed: str | None
    """The partner's feed, when the recipient may be told it knows the person."""
    at: datetime.datetime
    """When the match run that linked it was committed."""


def _at(text: str) -> datetime.datetime:
    moment = datetime.datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=datetime.UTC)


def _runs_between(runs: Mapping[str, str], after: datetime.datetime,
                  until: datetime.datetime) -> list[str]:  # fmt: skip
    return [run for run, at in runs.items() if after < _at(at) <= until]


def linked_records(
    config: HubConfig, latest: ReleaseInfo, previous: ReleaseInfo,
    told: Mapping[str, Collection[str]],
) -> tuple[LinkedRecord, ...]:  # fmt: skip
    """Records that joined an existing person between ``previous`` and ``latest``, for the
    people of ``latest``; ``told`` gives each person's ``known_to`` in ``latest``."""
    workspace = Workspace(config.workspace)
    if not workspace.matched.registry.exists():
        return ()
    with PersonRegistry(workspace.matched.registry) as registry:
        snapshot = registry.assignment_snapshot()
        times = registry.run_times()
    runs = _runs_between(times, previous.created_at, latest.created_at)
    if snapshot is None or not runs:
        return ()
    with connect(DuckDBSettings(threads=2)) as con:
        marks = ", ".join("?" for _ in runs)
        joined = con.execute(
            "SELECT person_id, source, first_run FROM (SELECT person_id, source, first_run, "
            "min(first_run) OVER (PARTITION BY person_id) AS earliest FROM read_parquet(?) "
            f"WHERE present) WHERE first_run > earliest AND first_run IN ({marks}) "
            "ORDER BY first_run, person_id, source",
            [str(snapshot), *runs],
        ).fetchall()
    if not joined:
        return ()
    path = workspace.release_record(latest.recipient, latest.release_id).pseudonyms
    table = read_pseudonym_map(path, config.settings.master_key_bytes())
    people = table.filter(pc.equal(table["field"], "person_id"))
    pseudonym_of = dict(zip(people["person_id"].to_pylist(), people["pseudonym"].to_pylist(),
                            strict=True))  # fmt: skip
    found = []
    for person, source, run in joined:
        pseudonym = pseudonym_of.get(person)
        if pseudonym is None:
            continue
        feed = source if source in told.get(pseudonym, ()) else None
        found.append(LinkedRecord(pseudonym, feed, _at(times[run])))
    return tuple(found)
