"""Deny by default, aware of where each value came from.

A value of field ``F`` that came from feed ``P`` reaches recipient ``R`` only if an agreement in
force names ``R``, has ``P`` among its providers and names ``F`` (from ``P``) with a treatment
other than ``drop``. Every answer is a :class:`Decision` that carries its reason and the clauses
that decided it, so each field released, withheld or dropped is traceable to the agreement text.
"""

from __future__ import annotations

import datetime
import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from sharing_agreements.cohort import CohortScope
from sharing_agreements.errors import PolicyError
from sharing_agreements.model import Agreement
from sharing_agreements.treatments import Treatment
from sharing_agreements.view import SHAREABLE_FIELDS

ALLOWED = "allowed"
NO_AGREEMENT = "no_agreement"
NOT_IN_FORCE = "not_in_force"
PARTNER_NOT_COVERED = "partner_not_covered"
FIELD_NOT_NAMED = "field_not_named"
DROPPED = "dropped"
OUTSIDE_CONDITIONS = "outside_conditions"
"""Decision codes. The last is for values of an allowed field that a row condition held back."""


@dataclass(frozen=True, order=True)
class ClauseRef:
    """The clause of an agreement that decided something."""

    agreement_id: str
    version: str
    clause: str

    def __str__(self) -> str:
        return f"{self.agreement_id} v{self.version} {self.clause}"


def clause_ref(agreement: Agreement, field_name: str) -> ClauseRef:
    """Cite an agreement's clause for a field (its own reference if the file gives one)."""
    clause = agreement.fields[field_name].clause or f"fields.{field_name}"
    return ClauseRef(agreement.id, agreement.version, clause)


@dataclass(frozen=True)
class Decision:
    """Whether values of ``field`` from ``source`` reach ``recipient``, and why."""

    recipient: str
    field: str
    source: str
    allowed: bool
    code: str
    reason: str
    treatment: Treatment | None = None
    clauses: tuple[ClauseRef, ...] = ()

    def as_dict(self) -> dict[str, object]:
        """A JSON-ready form (no personal data: names of fields, feeds and agreements)."""
        return {
            "field": self.field,
            "source": self.source,
            "allowed": self.allowed,
            "code": self.code,
            "reason": self.reason,
            "treatment": str(self.treatment) if self.treatment else None,
            "clauses": [str(c) for c in self.clauses],
        }


@dataclass(frozen=True)
class Grant:
    """One agreement's permission for one field: from which feeds, for whom, on what condition."""

    clause: ClauseRef
    sources: tuple[str, ...]
    known_to: tuple[str, ...] | None
    """People with a record in one of these feeds; None for everyone."""
    where: tuple[tuple[str, tuple[str, ...]], ...]
    """(field, allowed values) conditions, all of which must hold."""
    cohort: CohortScope | None = None
    """People in the IOM cohort (:mod:`sharing_agreements.cohort`); None for everyone."""


@dataclass(frozen=True)
class ColumnRule:
    """A column of a recipient's release: its treatment and the grants that let values in."""

    field: str
    treatment: Treatment
    grants: tuple[Grant, ...]

    @property
    def sources(self) -> tuple[str, ...]:
        """Every feed whose values may fill the column."""
        return tuple(sorted({s for g in self.grants for s in g.sources}))

    @property
    def clauses(self) -> tuple[ClauseRef, ...]:
        """The clauses that allow the column."""
        return tuple(sorted({g.clause for g in self.grants}))


def decide(
    agreements: Sequence[Agreement],
    recipient: str,
    field_name: str,
    source: str,
    today: datetime.date,
) -> Decision:
    """Decide one (recipient, field, source) on ``today``: deny unless an agreement allows."""

    def deny(code: str, reason: str, clauses: Iterable[ClauseRef] = ()) -> Decision:
        return Decision(
            recipient, field_name, source, False, code, reason, clauses=tuple(sorted(clauses))
        )

    naming = [a for a in agreements if recipient in a.recipients]
    if not naming:
        return deny(NO_AGREEMENT, f"no agreement names recipient {recipient!r}")
    covering = [a for a in naming if source in a.clause_sources(field_name)]
    in_force = [a for a in covering if a.in_force(today)]
    if in_force:
        clauses = [clause_ref(a, field_name) for a in in_force]
        treatments = {a.fields[field_name].treatment for a in in_force}
        if len(treatments) > 1:
            raise PolicyError(
                f"agreements {', '.join(a.label for a in in_force)} give {field_name} from "
                f"{source} to {recipient} different treatments",
                hint="run `iomhub agreements check` and resolve the contradiction",
            )
        (treatment,) = treatments
        if not treatment.releases:
            return deny(DROPPED, "the agreement names the field and drops it", clauses)
        return Decision(
            recipient,
            field_name,
            source,
            True,
            ALLOWED,
            f"allowed, {treatment}",
            treatment,
            tuple(sorted(clauses)),
        )
    if covering:
        states = "; ".join(f"{a.label} {a.state(today)}" for a in covering)
        return deny(
            NOT_IN_FORCE,
            f"no covering agreement is in force ({states})",
            [clause_ref(a, field_name) for a in covering],
        )
    live = [a for a in naming if a.in_force(today)]
    if not live:
        states = "; ".join(f"{a.label} {a.state(today)}" for a in naming)
        return deny(NOT_IN_FORCE, f"no agreement naming {recipient!r} is in force ({states})")
    if not any(source in a.providers for a in live):
        return deny(
            PARTNER_NOT_COVERED, f"no agreement in force lets {source!r} share with {recipient!r}"
        )
    return deny(
        FIELD_NOT_NAMED,
        f"no agreement in force names {field_name!r} from {source!r} for {recipient!r}",
    )


def _conditions(agreement: Agreement, field_name: str) -> tuple[tuple[str, tuple[str, ...]], ...]:
    merged: dict[str, set[str]] = {}
    for conditions in (agreement.where, agreement.fields[field_name].where):
        for name, values in conditions.items():
            merged[name] = merged[name] & set(values) if name in merged else set(values)
    return tuple(sorted((name, tuple(sorted(values))) for name, values in merged.items()))


@dataclass(frozen=True)
class RecipientPolicy:
    """Everything one recipient may receive on one day, decided field by field and feed by feed."""

    recipient: str
    today: datetime.date
    columns: tuple[ColumnRule, ...]
    decisions: tuple[Decision, ...]
    agreements: tuple[Agreement, ...]
    """Agreements in force that allow at least one column."""
    all_agreements: tuple[Agreement, ...] = field(repr=False, default=())

    @property
    def column_names(self) -> list[str]:
        """The release's columns: the pseudonymous person id, then every allowed field."""
        return ["person_id", *(rule.field for rule in self.columns)]

    @property
    def follows_cohort(self) -> bool:
        """Whether a grant covers only people in the IOM cohort (the view needs the cohort)."""
        return any(g.cohort is not None for r in self.columns for g in r.grants)

    def column(self, name: str) -> ColumnRule | None:
        """The rule for a column, if the column is allowed."""
        return next((rule for rule in self.columns if rule.field == name), None)

    def decision(self, field_name: str, source: str) -> Decision:
        """The decision for one field and feed (computed for feeds not seen in advance)."""
        for decision in self.decisions:
            if decision.field == field_name and decision.source == source:
                return decision
        return decide(self.all_agreements, self.recipient, field_name, source, self.today)

    def withheld_because(self, field_name: str, source: str) -> tuple[str, str]:
        """Code and reason for a value of ``field_name`` from ``source`` that was held back."""
        decision = self.decision(field_name, source)
        if decision.allowed:
            reason = "the person is outside the agreement's subjects or conditions"
            return OUTSIDE_CONDITIONS, reason
        return decision.code, decision.reason

    @property
    def retention_days(self) -> int | None:
        """The shortest retention period among the agreements that allow data."""
        return min((a.retention_days for a in self.agreements), default=None)

    def fingerprint(self) -> str:
        """A digest of everything that shapes the release (changes when the policy does)."""
        document = {
            "recipient": self.recipient,
            "agreements": sorted(a.label for a in self.agreements),
            "columns": [
                {
                    "field": r.field,
                    "treatment": str(r.treatment),
                    "grants": [
                        [
                            str(g.clause),
                            g.sources,
                            g.known_to,
                            g.where,
                            *([str(g.cohort)] if g.cohort else []),
                        ]
                        for g in r.grants
                    ],
                }
                for r in self.columns
            ],
        }
        return hashlib.sha256(json.dumps(document, sort_keys=True).encode()).hexdigest()


def recipient_policy(
    agreements: Sequence[Agreement], recipient: str, feeds: Iterable[str], today: datetime.date
) -> RecipientPolicy:
    """Decide every field from every feed (the configured ones and every provider named)."""
    sources = sorted(set(feeds) | {p for a in agreements for p in a.providers})
    decisions = [
        decide(agreements, recipient, name, source, today)
        for name in SHAREABLE_FIELDS
        for source in sources
    ]
    columns: list[ColumnRule] = []
    contributing: dict[str, Agreement] = {}
    for name in SHAREABLE_FIELDS:
        allowed = [d for d in decisions if d.field == name and d.allowed]
        if not allowed:
            continue
        treatments = {d.treatment for d in allowed}
        if len(treatments) > 1:
            raise PolicyError(
                f"{name} would reach {recipient} with different treatments from different feeds",
                hint="run `iomhub agreements check` and resolve the contradiction",
            )
        grants = []
        for agreement in agreements:
            sources_here = tuple(
                d.source for d in allowed if any(c.agreement_id == agreement.id for c in d.clauses)
            )
            if not sources_here:
                continue
            contributing[agreement.id] = agreement
            subjects = agreement.subjects
            known_to = tuple(sorted(subjects.known_to)) if subjects and subjects.known_to else None
            grants.append(
                Grant(
                    clause_ref(agreement, name),
                    sources_here,
                    known_to,
                    _conditions(agreement, name),
                    subjects.cohort_scope if subjects else None,
                )
            )
        (treatment,) = treatments
        assert treatment is not None
        columns.append(ColumnRule(name, treatment, tuple(grants)))
    return RecipientPolicy(
        recipient,
        today,
        tuple(columns),
        tuple(decisions),
        tuple(sorted(contributing.values(), key=lambda a: a.id)),
        tuple(agreements),
    )


# --- contradictions and warnings -------------------------------------------------------------


@dataclass(frozen=True)
class Contradiction:
    """Two agreements that could both be in force and disagree about a field."""

    message: str


def _where(agreement: Agreement) -> str:
    return f"{agreement.label} ({agreement.source_file or 'inline'})"


def find_contradictions(agreements: Sequence[Agreement]) -> list[Contradiction]:
    """Pairs of agreements whose periods overlap and that treat a field differently.

    Two treatments of one field from one feed to one recipient contradict each other, and so do
    two different treatments (other than drop) of one field from different feeds: a column of a
    release has one treatment.
    """
    found: list[Contradiction] = []
    for i, first in enumerate(agreements):
        for second in agreements[i + 1 :]:
            shared = sorted(set(first.recipients) & set(second.recipients))
            if not shared or not first.overlaps(second):
                continue
            for name in sorted(set(first.fields) & set(second.fields)):
                one, two = first.fields[name].treatment, second.fields[name].treatment
                if one == two:
                    continue
                common = sorted(set(first.clause_sources(name)) & set(second.clause_sources(name)))
                both_flow = one.releases and two.releases
                if common or both_flow:
                    feeds = f"from {', '.join(common)}" if common else "from different feeds"
                    found.append(
                        Contradiction(
                            f"{_where(first)} and {_where(second)} overlap in time and give "
                            f"{name} {feeds} to {', '.join(shared)} different treatments "
                            f"({one} / {two})"
                        )
                    )
    return found


def agreement_warnings(
    agreement: Agreement, today: datetime.date, within_days: int = 30
) -> list[str]:
    """What a data officer should act on: expiry, review due, suspension, health data shared
    without a DPIA reference."""
    warnings = []
    if agreement.shares_special_category and not agreement.dpia_reference:
        warnings.append("shares health (special category) data but names no DPIA "
                        "(dpia_reference)")  # fmt: skip
    soon = today + datetime.timedelta(days=within_days)
    if agreement.suspended:
        warnings.append("suspended: nothing flows under it")
    if today > agreement.expiry_date:
        warnings.append(f"expired on {agreement.expiry_date}: nothing flows under it")
    elif agreement.expiry_date <= soon:
        days = (agreement.expiry_date - today).days
        warnings.append(f"expires on {agreement.expiry_date} (in {days} days)")
    if today < agreement.start_date:
        warnings.append(f"not in force until {agreement.start_date}")
    if today <= agreement.expiry_date:
        if agreement.review_date < today:
            warnings.append(f"review overdue since {agreement.review_date}")
        elif agreement.review_date <= soon:
            days = (agreement.review_date - today).days
            warnings.append(f"review due on {agreement.review_date} (in {days} days)")
    return warnings
