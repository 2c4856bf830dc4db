"""What the cohort rules may read: the matched person view and the offences, as agreed.

The rules act for one recipient (``acting_for`` in ``cohort.yaml``, the IOM team). A value of
field ``F`` that came from feed ``P`` (the view's ``F__source``) is read only if an agreement in
force would release it to that recipient: it names ``F`` from ``P``, and the person and the row
meet its subjects and conditions (the sharing layer's own test,
:func:`sharing_agreements.view_builder.mask_sql`), with an agreement's limit to the cohort set
aside: deciding who is put to the panel is what that limit serves. Any other value is read as
unknown, and the
feeds no agreement gives a field from are listed. Offences (feeds whose records
are offences) are read only if the agreements give the recipient ``offence_type`` and
``offence_date`` from that feed. Each offence is linked to a person through the police
nominal's record id (``nominal_id`` = the nominal's ``source_record_id`` in the nominals feed,
by ``record_links``), or failing that through the PNC ID; offences linked to no one are
counted, not used.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hub.cohort.rules import CohortRules
from hub.cohort.severity import SeverityTable
from hub.config import HubConfig
from hub.errors import CohortInputMissing
from hub.workspace import Workspace
from schemas.duckdb_session import DuckDBSettings, connect
from schemas.sql import quote_identifier, quote_literal
from sharing_agreements.load import AgreementSet
from sharing_agreements.policy import recipient_policy
from sharing_agreements.view import source_column
from sharing_agreements.view_builder import mask_sql

PERSON_FIELDS: tuple[str, ...] = (
    "date_of_birth", "sex", "postcode", "pnc_id", "offence_type", "offence_date", "da_flag",
    "ogrs_score", "rosh_level", "sentence_type", "sentence_end_date", "offender_manager",
    "offender_manager_team", "health_service", "treatment_status", "accommodation_status",
)  # fmt: skip
"""The view fields the rules and the candidates list read."""
OFFENCE_FIELDS_NEEDED = ("offence_type", "offence_date")
OFFENDING_FIELDS = ("ogrs_score", "offence_type", "da_flag")
"""A person with none of these (agreed) and no counted offence meets no rule: not read."""


@dataclass(frozen=True)
class Sourced:
    """A value and the feed it came from."""

    value: Any
    source: str

    def __str__(self) -> str:
        return f"{self.value} ({self.source})"


@dataclass(frozen=True)
class OffenceTally:
    """A person's counted offences in one offence group (or all of them)."""

    count: int
    severity: float
    types: tuple[str, ...]
    sources: tuple[str, ...]

    def describe(self) -> str:
        """``3 offences (Burglary - residential, ...), severity 1,200 (police_offences)``."""
        kinds = ", ".join(self.types)
        plural = "offence" if self.count == 1 else "offences"
        return (
            f"{self.count} {plural} ({kinds}), severity {self.severity:,.0f} "
            f"({', '.join(self.sources)})"
        )


@dataclass(frozen=True)
class PersonFacts:
    """One person as the rules see them: only agreed values, each with its feed."""

    person_id: str
    values: dict[str, Sourced]
    tallies: dict[str, OffenceTally]
    """Offence group name (or ``*`` for every offence) -> the person's counted offences."""

    def get(self, name: str) -> Sourced | None:
        """The agreed value of a view field, if any."""
        return self.values.get(name)


@dataclass(frozen=True)
class CohortInputs:
    """Everyone the rules consider, and what was held back from them."""

    people: tuple[PersonFacts, ...]
    today: datetime.date
    withheld: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """View field -> the feeds whose values of it no agreement gives the recipient."""
    offences_used: int = 0
    offences_unlinked: int = 0
    offence_feeds_withheld: tuple[str, ...] = ()
    history: tuple[LinkedOffence, ...] = ()
    """Every counted offence since ``history_since``, when asked for (performance)."""


@dataclass(frozen=True)
class LinkedOffence:
    """One offence linked to a person, with its severity weight and outcome."""

    person_id: str
    day: datetime.date
    severity: float
    outcome: str | None


def gather_inputs(
    config: HubConfig, workspace: Workspace, rules: CohortRules, severity: SeverityTable,
    agreements: AgreementSet, offence_files: dict[str, Path], today: datetime.date,
    history_since: datetime.date | None = None,
) -> CohortInputs:  # fmt: skip
    """Read the person view and the offences through the agreements, one person at a time
    (and every linked offence since ``history_since``, if given)."""
    persons = workspace.matched.persons
    if not persons.exists():
        raise CohortInputMissing(
            "no matched person view yet: nothing has been matched in this workspace",
            hint="run `iomhub run` (or `iomhub match`) first",
        )
    feeds = [feed.name for feed in config.feeds]
    con = connect(DuckDBSettings(threads=2))
    try:
        view = f"read_parquet({quote_literal(str(persons))})"
        available = {row[0] for row in con.execute(f"DESCRIBE SELECT * FROM {view}").fetchall()}
        policy = recipient_policy(agreements.agreements, rules.acting_for, feeds, today)
        withheld: dict[str, tuple[str, ...]] = {}
        selects = ["person_id"]
        for name in PERSON_FIELDS:
            if name not in available:
                continue
            rule = policy.column(name)
            withheld[name] = tuple(s for s in feeds if rule is None or s not in rule.sources)
            released = mask_sql(rule, screening=True)
            src = quote_identifier(source_column(name))
            selects.append(f"CASE WHEN {released} THEN {quote_identifier(name)} END "
                           f"AS {quote_identifier(name)}")  # fmt: skip
            selects.append(f"CASE WHEN {released} THEN {src} END AS {src}")
        con.execute(f"CREATE TEMP TABLE people AS SELECT {', '.join(selects)} FROM {view}")
        usable = {
            feed: path for feed, path in offence_files.items()
            if all((rule := policy.column(f)) is not None and feed in rule.sources
                   for f in OFFENCE_FIELDS_NEEDED)
        }  # fmt: skip
        tallies, used, unlinked = _tally_offences(con, workspace, rules, severity, usable, today)
        history: list[LinkedOffence] = []
        if history_since is not None and usable:
            _link_offences(con, workspace, rules, severity, usable, (history_since, today),
                           "history")  # fmt: skip
            history = [
                LinkedOffence(str(p), day, float(w), o) for p, day, w, o in con.execute(
                    "SELECT person_id, offence_date, weight, outcome FROM history "
                    "WHERE person_id IS NOT NULL ORDER BY person_id, offence_date").fetchall()
            ]  # fmt: skip
        columns = [d[0] for d in con.execute("SELECT * FROM people LIMIT 0").description]
        offending = [f"{quote_identifier(name)} IS NOT NULL" for name in OFFENDING_FIELDS
                     if name in columns] + ["person_id IN (SELECT unnest(?))"]  # fmt: skip
        people = []
        for row in con.execute(
            f"SELECT * FROM people WHERE {' OR '.join(offending)} ORDER BY person_id",
            [sorted(tallies)],
        ).fetchall():
            record = dict(zip(columns, row, strict=True))
            person_id = str(record["person_id"])
            values = {
                name: Sourced(record[name], str(record[source_column(name)]))
                for name in PERSON_FIELDS
                if name in record and record[name] is not None
            }
            people.append(PersonFacts(person_id, values, tallies.get(person_id, {})))
    finally:
        con.close()
    return CohortInputs(
        tuple(people), today, {k: v for k, v in withheld.items() if v}, used, unlinked,
        tuple(sorted(set(offence_files) - set(usable))), tuple(history),
    )  # fmt: skip


def _tally_offences(
    con: Any, workspace: Workspace, rules: CohortRules, severity: SeverityTable,
    files: dict[str, Path], today: datetime.date,
) -> tuple[dict[str, dict[str, OffenceTally]], int, int]:  # fmt: skip
    """Per person and offence group, the counted offences; and how many were used, unlinked."""
    if not files:
        return {}, 0, 0
    con.execute("CREATE TEMP TABLE groups (group_name VARCHAR, offence_type VARCHAR)")
    pairs = [(g, t) for g, types in rules.offence_groups.items() for t in types]
    con.executemany("INSERT INTO groups VALUES (?, ?)", pairs)
    _link_offences(con, workspace, rules, severity, files, (rules.window_start(today), today),
                   "counted")  # fmt: skip
    ((used, unlinked),) = con.execute(
        "SELECT count(person_id), count(*) - count(person_id) FROM counted"
    ).fetchall()
    rows = con.execute(
        "SELECT person_id, g.group_name, count(*), sum(weight), "
        "list(DISTINCT offence_type ORDER BY offence_type), list(DISTINCT source ORDER BY source) "
        "FROM counted c JOIN groups g USING (offence_type) WHERE person_id IS NOT NULL "
        "GROUP BY ALL UNION ALL "
        "SELECT person_id, '*', count(*), sum(weight), "
        "list(DISTINCT offence_type ORDER BY offence_type), list(DISTINCT source ORDER BY source) "
        "FROM counted WHERE person_id IS NOT NULL GROUP BY ALL"
    ).fetchall()
    tallies: dict[str, dict[str, OffenceTally]] = defaultdict(dict)
    for person_id, group, count, weight, types, sources in rows:
        tallies[str(person_id)][group] = OffenceTally(
            int(count), float(weight), tuple(types), tuple(sources)
        )
    return dict(tallies), int(used), int(unlinked)


def _link_offences(
    con: Any, workspace: Workspace, rules: CohortRules, severity: SeverityTable,
    files: dict[str, Path], period: tuple[datetime.date, datetime.date], table: str,
) -> None:  # fmt: skip
    """``table``: the offences dated in ``period`` (inclusive), not of an ignored outcome,
    each with its weight and the person it links to (null if none)."""
    links = workspace.matched.record_links
    con.execute("CREATE OR REPLACE TEMP TABLE weights (offence_type VARCHAR, weight DOUBLE)")
    con.executemany("INSERT INTO weights VALUES (?, ?)", list(severity.weights.items()))
    union = " UNION ALL ".join(
        f"SELECT source, nominal_id, pnc_id_canonical, offence_date, offence_type, outcome "
        f"FROM read_parquet({quote_literal(str(path))})"
        for path in files.values()
    )
    ignored = ", ".join(quote_literal(o) for o in rules.ignore_outcomes) or "NULL"
    pnc_known = "pnc_id" in {d[0] for d in con.execute("SELECT * FROM people LIMIT 0").description}
    by_pnc = (
        "(SELECT person_id FROM people p WHERE p.pnc_id = o.pnc_id_canonical LIMIT 1)"
        if pnc_known
        else "NULL"
    )
    con.execute(
        f"CREATE TEMP TABLE {table} AS SELECT o.*, coalesce(l.person_id, {by_pnc}) AS person_id, "
        f"coalesce(w.weight, {severity.default_weight}) AS weight FROM ({union}) o "
        f"LEFT JOIN (SELECT DISTINCT source_record_id, person_id FROM "
        f"read_parquet({quote_literal(str(links))}) WHERE source = "
        f"{quote_literal(rules.nominal_feed)}) l ON l.source_record_id = o.nominal_id "
        f"LEFT JOIN weights w USING (offence_type) "
        f"WHERE o.offence_date BETWEEN ? AND ? AND coalesce(o.outcome, '') NOT IN ({ignored})",
        list(period),
    )
