"""Cohort membership: time-bounded, per person, decided jointly by police and probation.

Part of the shared core: the panel (:mod:`hub.cohort.panel`) writes it; publishing reads it for
agreements that follow the cohort (:func:`cohort_subjects`). ``cohort.db`` in the workspace
holds three tables. ``decisions``: each panel decision-maker's select or deselect, with their
agency and reason, ``pending`` until a decision-maker of the other agency makes the same
decision, then both ``agreed``. ``memberships``: one row per spell in the cohort (person,
strand, reason, start, end), started by an agreed selection and ended by an agreed
deselection. ``candidates``: the people the cohort rules put forward when last listed (person,
strand, listed on), replaced by each listing. The rows stay across runs; when matching merges a
person into another (:meth:`matching.registry.PersonRegistry.merged_into`),
:meth:`CohortStore.follow_merges` moves their rows to the surviving id.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from hub.errors import CohortDecisionRefused
from hub.workspace import Workspace
from matching.registry import PersonRegistry
from schemas.sqlite_store import open_database, transaction
from sharing_agreements.cohort import CohortSubjects

Agency = Literal["police", "probation"]
Action = Literal["select", "deselect"]
AGENCIES: tuple[Agency, ...] = ("police", "probation")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS decisions (
    decision_id INTEGER PRIMARY KEY AUTOINCREMENT, person_id TEXT NOT NULL,
    decision TEXT NOT NULL CHECK (decision IN ('select', 'deselect')), strand TEXT NOT NULL,
    agency TEXT NOT NULL, decided_by TEXT NOT NULL, decided_on TEXT NOT NULL,
    reason TEXT NOT NULL, status TEXT NOT NULL CHECK (status IN ('pending', 'agreed')));
CREATE TABLE IF NOT EXISTS memberships (
    membership_id INTEGER PRIMARY KEY AUTOINCREMENT, person_id TEXT NOT NULL,
    strand TEXT NOT NULL, reason TEXT NOT NULL, start_date TEXT NOT NULL, end_date TEXT,
    end_reason TEXT, selected_by TEXT NOT NULL, deselected_by TEXT);
CREATE TABLE IF NOT EXISTS candidates (
    person_id TEXT PRIMARY KEY, strand TEXT NOT NULL, listed_on TEXT NOT NULL);
"""


@dataclass(frozen=True)
class Membership:
    """One spell of a person in a strand of the cohort."""

    person_id: str
    strand: str
    reason: str
    start: datetime.date
    end: datetime.date | None
    end_reason: str | None
    selected_by: str
    """The two decision-makers, ``police-name & probation-name``."""
    deselected_by: str | None

    def current_on(self, day: datetime.date) -> bool:
        """Whether the spell covers ``day`` (the end day is outside it)."""
        return self.start <= day and (self.end is None or day < self.end)


@dataclass(frozen=True)
class DecisionOutcome:
    """What one decision did: wait for the other agency, or start or end a spell."""

    person_id: str
    decision: Action
    strand: str
    agency: Agency
    outcome: Literal["pending", "agreed"]
    membership: Membership | None = None

    @property
    def waiting_for(self) -> Agency | None:
        """The agency whose decision-maker must agree, while pending."""
        if self.outcome == "agreed":
            return None
        return "probation" if self.agency == "police" else "police"


class CohortStore:
    """The cohort database of one workspace."""

    def __init__(self, path: Path) -> None:
        self._db = open_database(path, _SCHEMA)

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> CohortStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def follow_merges(self, merged_into: dict[str, str]) -> int:
        """Move decisions and spells of merged persons to the surviving id; rows moved."""
        moved = 0
        with transaction(self._db):
            for person_id in merged_into:
                final, seen = person_id, {person_id}
                while final in merged_into and merged_into[final] not in seen:
                    final = merged_into[final]
                    seen.add(final)
                for table in ("decisions", "memberships", "candidates"):
                    cursor = self._db.execute(
                        f"UPDATE OR REPLACE {table} SET person_id = ? WHERE person_id = ?",
                        (final, person_id),
                    )
                    moved += cursor.rowcount
        return moved

    def replace_candidates(self, listed_on: datetime.date, strands: dict[str, str]) -> None:
        """Keep the candidates of the latest listing (person id -> strand), replacing the last."""
        with transaction(self._db):
            self._db.execute("DELETE FROM candidates")
            self._db.executemany(
                "INSERT INTO candidates (person_id, strand, listed_on) VALUES (?, ?, ?)",
                [(person, strand, listed_on.isoformat()) for person, strand in strands.items()],
            )

    def candidates(self) -> dict[str, str]:
        """The candidates of the latest listing: person id -> strand."""
        return dict(self._db.execute("SELECT person_id, strand FROM candidates").fetchall())

    def memberships(self, person_id: str | None = None) -> list[Membership]:
        """Every spell (of one person, if given), oldest first."""
        where, args = ("WHERE person_id = ?", (person_id,)) if person_id else ("", ())
        rows = self._db.execute(
            "SELECT person_id, strand, reason, start_date, end_date, end_reason, selected_by, "
            f"deselected_by FROM memberships {where} ORDER BY start_date, membership_id", args
        ).fetchall()  # fmt: skip
        return [
            Membership(p, s, r, datetime.date.fromisoformat(start),
                       datetime.date.fromisoformat(end) if end else None, why, by, off)
            for p, s, r, start, end, why, by, off in rows
        ]  # fmt: skip

    def members(self, day: datetime.date) -> list[Membership]:
        """The spells current on ``day``."""
        return [m for m in self.memberships() if m.current_on(day)]

    def pending(self) -> list[tuple[str, str, str, str, str]]:
        """Decisions awaiting the other agency: (person_id, decision, strand, agency, by)."""
        return self._db.execute(
            "SELECT person_id, decision, strand, agency, decided_by FROM decisions "
            "WHERE status = 'pending' ORDER BY decision_id"
        ).fetchall()

    def decide(
        self, person_id: str, decision: Action, strand: str, agency: Agency, decided_by: str,
        reason: str, day: datetime.date,
    ) -> DecisionOutcome:  # fmt: skip
        """Record one decision-maker's decision; agreed when the other agency's matches."""
        with transaction(self._db):
            self._check(person_id, decision, strand, day)
            waiting = self._db.execute(
                "SELECT decision_id, agency, decided_by, reason FROM decisions WHERE person_id = ? "
                "AND decision = ? AND strand = ? AND status = 'pending' ORDER BY decision_id",
                (person_id, decision, strand),
            ).fetchall()  # fmt: skip
            same_agency = [w for w in waiting if w[1] == agency]
            if same_agency:
                raise CohortDecisionRefused(
                    f"{person_id}: {agency} ({same_agency[0][2]}) has already decided to "
                    f"{decision}; it waits for a decision-maker of the other agency",
                )
            if waiting and waiting[0][2] == decided_by:
                raise CohortDecisionRefused(
                    f"{person_id}: {decided_by} made the first decision; the other agency's "
                    "decision-maker must be someone else",
                )
            self._db.execute(
                "INSERT INTO decisions (person_id, decision, strand, agency, decided_by, "
                "decided_on, reason, status) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (person_id, decision, strand, agency, decided_by, day.isoformat(), reason,
                 "agreed" if waiting else "pending"),
            )  # fmt: skip
            if not waiting:
                return DecisionOutcome(person_id, decision, strand, agency, "pending")
            first_id, first_agency, first_by, first_reason = waiting[0]
            self._db.execute("UPDATE decisions SET status = 'agreed' WHERE decision_id = ?",
                             (first_id,))  # fmt: skip
            pair = " & ".join(
                by for _, by in sorted([(first_agency, first_by), (agency, decided_by)])
            )
            joint_reason = first_reason if first_reason == reason else f"{first_reason}; {reason}"
            if decision == "select":
                self._db.execute(
                    "INSERT INTO memberships (person_id, strand, reason, start_date, "
                    "selected_by) VALUES (?, ?, ?, ?, ?)",
                    (person_id, strand, joint_reason, day.isoformat(), pair),
                )
            else:
                self._db.execute(
                    "UPDATE memberships SET end_date = ?, end_reason = ?, deselected_by = ? "
                    "WHERE person_id = ? AND strand = ? AND end_date IS NULL",
                    (day.isoformat(), joint_reason, pair, person_id, strand),
                )
        spell = next(m for m in reversed(self.memberships(person_id)) if m.strand == strand)
        return DecisionOutcome(person_id, decision, strand, agency, "agreed", spell)

    def _check(self, person_id: str, decision: Action, strand: str, day: datetime.date) -> None:
        current = [m for m in self.memberships(person_id) if m.current_on(day) or m.start > day]
        if decision == "select" and current:
            raise CohortDecisionRefused(
                f"{person_id} is already in the {current[0].strand} cohort "
                f"(since {current[0].start.isoformat()})",
                hint="deselect them first to move them to another strand",
            )
        if decision == "deselect" and not any(m.strand == strand for m in current):
            raise CohortDecisionRefused(f"{person_id} is not in the {strand} cohort")


def merges(workspace: Workspace) -> dict[str, str]:
    """Merged person id -> the id it was merged into, as the person registry records."""
    if not workspace.matched.registry.exists():
        return {}
    with PersonRegistry(workspace.matched.registry) as registry:
        return registry.merged_into()


def open_store(workspace: Workspace) -> CohortStore:
    """The workspace's cohort database, with merged persons followed to their surviving ids."""
    workspace.create()
    store = CohortStore(workspace.cohort_path)
    store.follow_merges(merges(workspace))
    return store


def cohort_subjects(workspace: Workspace, day: datetime.date) -> CohortSubjects:
    """The cohort on ``day`` as agreements that follow it read it: members and candidates."""
    if not workspace.cohort_path.exists():
        return CohortSubjects(day)
    with open_store(workspace) as store:
        members = {m.person_id: m.strand for m in store.members(day)}
        return CohortSubjects(day, members, store.candidates())
