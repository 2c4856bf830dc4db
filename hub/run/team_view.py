"""The IOM team's view as its pages read it: the latest release of one recipient, queried.

The web app's cohort, person and "what changed" pages show exactly what the recipient's
agreements let through: they read that recipient's published release (``view.parquet`` and
``manifest.json``), never the hub's internal person view. People are named by the recipient's
pseudonymous person id, the same id the release carries. Queries are built from allow-listed
column names and bound parameters only.
"""

from __future__ import annotations

import datetime
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from hub.config import HubConfig
from hub.errors import WorkspaceError
from hub.run.provenance import Provenance, provenance_of
from hub.run.release_files import read_manifest
from hub.run.releases import ReleaseInfo, list_releases
from schemas.duckdb_session import DuckDBSettings, connect

PAGE_SIZE = 50
NAME_FIELDS = ("forename", "middle_names", "surname")
OGRS_BANDS = (("low", 0, 49), ("medium", 50, 74), ("high", 75, 89), ("very high", 90, 100))
FACETS = (
    "ogrs_band",
    "rosh_level",
    "offence_type",
    "da_flag",
    "sentence_type",
    "accommodation_status",
    "treatment_status",
    "known_to",
)
"""Fields the cohort can be filtered and counted by, where the release holds them
(``known_to`` only where an agreement lets the recipient be told which agencies know a person:
it is then a column of the release, a list of agency names)."""
LIST_FACETS = frozenset({"known_to"})
"""Facets over a list column: a person counts once under each value their list holds."""
RISK_FIELDS = ("ogrs_score", "rosh_level", "rfg_score")
CIRCUMSTANCE_FIELDS = ("accommodation_status", "treatment_status", "sentence_end_date")


@dataclass(frozen=True)
class PeopleQuery:
    """What the person asked the cohort page for."""

    q: str = ""
    filters: tuple[tuple[str, str], ...] = ()
    """(facet, value) pairs; facets as in FACETS."""
    sentence_ends_before: datetime.date | None = None
    rfg_at_least: int | None = None
    """Only people whose RFG (recency, frequency, gravity) score is at least this."""
    sort: str = "surname"
    descending: bool = False
    page: int = 1

    @property
    def every_filter(self) -> tuple[tuple[str, str], ...]:
        """Every filter asked for, as (name, value) pairs (for the audit log)."""
        bounds = (("sentence_ends_before", self.sentence_ends_before),
                  ("rfg_at_least", self.rfg_at_least))  # fmt: skip
        return (*self.filters, *((n, str(v)) for n, v in bounds if v is not None))


@dataclass(frozen=True)
class FacetCount:
    value: str
    people: int


@dataclass(frozen=True)
class PeoplePage:
    """One page of the cohort, its total, and the counts per facet value."""

    release: ReleaseInfo
    columns: tuple[str, ...]
    rows: tuple[dict[str, Any], ...]
    total: int
    page: int
    pages: int
    facets: dict[str, tuple[FacetCount, ...]] = field(default_factory=dict)

    @property
    def person_ids(self) -> list[str]:
        return [str(row["person_id"]) for row in self.rows]


@dataclass(frozen=True)
class FieldValue:
    """One released value with what the manifest says of it."""

    name: str
    value: Any
    treatment: str
    sources: tuple[str, ...]
    """The feeds the agreements let this field come from."""
    clauses: tuple[str, ...]
    provenance: Provenance | None = None
    """Where this value came from (feed, extract file, delivery date), when the release kept it."""


@dataclass(frozen=True)
class PersonView:
    """Everything one release says about one person."""

    release: ReleaseInfo
    person_id: str
    values: tuple[FieldValue, ...]

    def value_of(self, name: str) -> Any:
        """The released value of field ``name`` (None when not released)."""
        return next((v.value for v in self.values if v.name == name), None)


@dataclass(frozen=True)
class Change:
    """One difference between the previous release and the latest, about one person."""

    person_id: str
    kind: str
    """'entered', 'left', or the name of the field that changed."""
    before: Any = None
    after: Any = None


@dataclass(frozen=True)
class ChangeList:
    latest: ReleaseInfo
    previous: ReleaseInfo | None
    changes: tuple[Change, ...]

    def of_kind(self, kind: str) -> list[Change]:
        return [c for c in self.changes if c.kind == kind]


def releases_of(config: HubConfig, recipient: str) -> list[ReleaseInfo]:
    """The recipient's placed releases that can be read, oldest first."""
    return [r for r in list_releases(config) if r.recipient == recipient and not r.problem]


def latest_release(config: HubConfig, recipient: str) -> ReleaseInfo:
    """The recipient's newest release; WorkspaceError when there is none yet."""
    releases = releases_of(config, recipient)
    if not releases:
        raise WorkspaceError(
            f"no release for {recipient!r} yet", hint="run the hub (iomhub run) to publish one"
        )
    return releases[-1]


class ReleaseTables:
    """Each release's view loaded once into an in-memory DuckDB, shared by every request."""

    def __init__(self) -> None:
        self._con = connect(DuckDBSettings(threads=2))
        self._loaded: dict[str, tuple[str, tuple[str, ...]]] = {}
        self._lock = threading.Lock()

    def table(self, release: ReleaseInfo) -> tuple[duckdb.DuckDBPyConnection, str, tuple[str, ...]]:
        """A cursor, the table name and its columns for ``release``."""
        key = f"{release.recipient}/{release.release_id}"
        with self._lock:
            if key not in self._loaded:
                name = f"release_{len(self._loaded)}"
                view = release.folder / "view.parquet"
                if not view.exists():
                    raise WorkspaceError(f"release {release.release_id} has no view.parquet")
                self._con.execute(
                    f"CREATE TABLE {name} AS SELECT * FROM read_parquet(?)", [str(view)]
                )
                columns = tuple(r[0] for r in self._con.execute(f"DESCRIBE {name}").fetchall())
                if "ogrs_score" in columns:
                    cases = " ".join(
                        f"WHEN ogrs_score BETWEEN {low} AND {high} THEN '{band}'"
                        for band, low, high in OGRS_BANDS
                    )
                    self._con.execute(f"ALTER TABLE {name} ADD COLUMN ogrs_band TEXT")
                    self._con.execute(f"UPDATE {name} SET ogrs_band = CASE {cases} END")
                self._loaded[key] = (name, columns)
            name, columns = self._loaded[key]
            return self._con.cursor(), name, columns


def _where(
    query: PeopleQuery, columns: Sequence[str], skip: str | None = None
) -> tuple[str, list[Any]]:
    clauses, parameters = ["TRUE"], []
    names = [c for c in NAME_FIELDS if c in columns]
    if query.q.strip() and names:
        words = query.q.strip().split()[:4]
        for word in words:
            clauses.append("(" + " OR ".join(f"{c} ILIKE ?" for c in names) + ")")
            parameters.extend([f"%{word}%"] * len(names))
    for facet, value in query.filters:
        if facet == skip or facet not in FACETS:
            continue
        if facet == "da_flag":
            clauses.append("da_flag = ?")
            parameters.append(value == "true")
        elif facet in LIST_FACETS:
            clauses.append(f"list_contains({facet}, ?)")
            parameters.append(value)
        else:
            clauses.append(f"CAST({facet} AS TEXT) = ?")
            parameters.append(value)
    if query.sentence_ends_before and "sentence_end_date" in columns:
        clauses.append("sentence_end_date < ?")
        parameters.append(query.sentence_ends_before)
    if query.rfg_at_least is not None and "rfg_score" in columns:
        clauses.append("rfg_score >= ?")
        parameters.append(query.rfg_at_least)
    return " AND ".join(clauses), parameters


def query_people(tables: ReleaseTables, release: ReleaseInfo, query: PeopleQuery) -> PeoplePage:
    """One page of the release's people matching ``query``, with facet counts."""
    con, table, columns = tables.table(release)
    available = {*columns, "ogrs_band"} if "ogrs_score" in columns else set(columns)
    query = PeopleQuery(
        query.q,
        tuple((f, v) for f, v in query.filters if f in available),
        query.sentence_ends_before,
        query.rfg_at_least,
        query.sort if query.sort in columns else "person_id",
        query.descending,
        max(1, query.page),
    )
    where, parameters = _where(query, columns)
    total = int(
        con.execute(f"SELECT count(*) FROM {table} WHERE {where}", parameters).fetchone()[0]
    )  # type: ignore[index]
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(query.page, pages)
    order = f"{query.sort} {'DESC' if query.descending else 'ASC'} NULLS LAST, person_id"
    result = con.execute(
        f"SELECT * EXCLUDE (ogrs_band) FROM {table} WHERE {where} ORDER BY {order} LIMIT ? OFFSET ?"
        if "ogrs_score" in columns
        else f"SELECT * FROM {table} WHERE {where} ORDER BY {order} LIMIT ? OFFSET ?",
        [*parameters, PAGE_SIZE, (page - 1) * PAGE_SIZE],
    )
    names = [d[0] for d in result.description]
    rows = tuple(dict(zip(names, row, strict=True)) for row in result.fetchall())
    facets = {}
    for facet in (f for f in FACETS if f in available):
        facet_where, facet_parameters = _where(query, columns, skip=facet)
        value = f"unnest({facet})" if facet in LIST_FACETS else f"CAST({facet} AS TEXT)"
        counted = con.execute(
            f"SELECT v, count(*) FROM (SELECT {value} AS v FROM {table} "
            f"WHERE {facet_where} AND {facet} IS NOT NULL) GROUP BY v ORDER BY count(*) DESC, v",
            facet_parameters,
        ).fetchall()
        facets[facet] = tuple(FacetCount(str(v), int(n)) for v, n in counted)
    return PeoplePage(release, tuple(names), rows, total, page, pages, facets)


def person_view(
    tables: ReleaseTables, release: ReleaseInfo, person_id: str, provenance: Path | None = None
) -> PersonView | None:
    """What ``release`` holds about one person, field by field, each value with where it came
    from (read from the release record's ``provenance``); None when not in the release."""
    con, table, columns = tables.table(release)
    selected = ", ".join(columns)
    row = con.execute(f"SELECT {selected} FROM {table} WHERE person_id = ?", [person_id]).fetchone()
    if row is None:
        return None
    described = {
        str(f.get("name")): f
        for f in (read_manifest(release.folder) or {}).get("fields", [])
        if isinstance(f, dict)
    }
    origins = provenance_of(con, provenance, person_id) if provenance else {}
    values = tuple(
        FieldValue(
            name,
            value,
            str(described.get(name, {}).get("treatment", "")),
            tuple(described.get(name, {}).get("from", [])),
            tuple(described.get(name, {}).get("clauses", [])),
            origins.get(name) if value is not None else None,
        )
        for name, value in zip(columns, row, strict=True)
        if name != "person_id"
    )
    return PersonView(release, person_id, values)


def changes_since_previous(tables: ReleaseTables, releases: Sequence[ReleaseInfo]) -> ChangeList:
    """Who entered or left the view, and whose risk or circumstances changed."""
    latest = releases[-1]
    if len(releases) < 2:
        return ChangeList(latest, None, ())
    previous = releases[-2]
    con, new, new_columns = tables.table(latest)
    con, old, old_columns = tables.table(previous)
    changes: list[Change] = []
    for kind, first, second in (("entered", new, old), ("left", old, new)):
        ids = con.execute(
            f"SELECT person_id FROM {first} ANTI JOIN {second} USING (person_id) ORDER BY person_id"
        ).fetchall()
        changes.extend(Change(str(i), kind) for (i,) in ids)
    for name in (*RISK_FIELDS, *CIRCUMSTANCE_FIELDS):
        if name not in new_columns or name not in old_columns:
            continue
        rows = con.execute(
            f"SELECT n.person_id, o.{name}, n.{name} FROM {new} n JOIN {old} o USING (person_id) "
            f"WHERE o.{name} IS DISTINCT FROM n.{name} ORDER BY n.person_id"
        ).fetchall()
        changes.extend(Change(str(p), name, before, after) for p, before, after in rows)
    return ChangeList(latest, previous, tuple(changes))


def known_to_of(tables: ReleaseTables, release: ReleaseInfo) -> dict[str, tuple[str, ...]]:
    """Person id -> the agencies the release says know them (empty when it does not say)."""
    con, table, columns = tables.table(release)
    if "known_to" not in columns:
        return {}
    rows = con.execute(f"SELECT person_id, known_to FROM {table} WHERE known_to IS NOT NULL")
    return {str(person): tuple(known) for person, known in rows.fetchall()}


def all_people(
    tables: ReleaseTables, release: ReleaseInfo, query: PeopleQuery
) -> tuple[tuple[str, ...], list[tuple[Any, ...]]]:
    """Every person matching ``query`` (for an export), in the page's order."""
    con, table, columns = tables.table(release)
    where, parameters = _where(query, columns)
    sort = query.sort if query.sort in columns else "person_id"
    order = f"{sort} {'DESC' if query.descending else 'ASC'} NULLS LAST, person_id"
    selected = ", ".join(
        f"array_to_string({c}, ', ') AS {c}" if c in LIST_FACETS else c for c in columns
    )
    result = con.execute(
        f"SELECT {selected} FROM {table} WHERE {where} ORDER BY {order}", parameters
    )
    return columns, result.fetchall()
