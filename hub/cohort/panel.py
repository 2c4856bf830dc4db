"""Panel decisions: select or deselect a person, by one police and one probation decision-maker.

The operator running the command (``IOMHUB_ACTOR``) must be a decision-maker of ``panel`` in
``cohort.yaml``; their agency is the one they are listed for. The first decision waits; the same
decision by a decision-maker of the other agency starts (or ends) the spell. Each decision is
audited (``cohort_decision``). Person ids are the hub's: a person merged into another since is
followed to the surviving id, and so are their existing decisions and spells.
"""

from __future__ import annotations

import datetime

import pyarrow.parquet as pq

from hub.audit.events import CohortDecision
from hub.cohort.listing import cohort_rules
from hub.cohort.rules import STRANDS
from hub.cohort_membership import (
    Action,
    Agency,
    DecisionOutcome,
    Membership,
    merges,
    open_store,
)
from hub.config import HubConfig
from hub.errors import CohortDecisionRefused, CohortInputMissing
from hub.workspace import Workspace


def _check_known(workspace: Workspace, person_id: str) -> None:
    """Refuse a person id the matched view does not hold (a typo would start a spell)."""
    persons = workspace.matched.persons
    if not persons.exists():
        raise CohortInputMissing(
            "no matched person view yet: nothing has been matched in this workspace",
            hint="run `iomhub run` first",
        )
    ids = pq.read_table(persons, columns=["person_id"], filters=[("person_id", "=", person_id)])
    if ids.num_rows == 0:
        raise CohortDecisionRefused(f"no person {person_id} in the matched view")


def decide(
    config: HubConfig, person_id: str, decision: Action, strand: str | None, reason: str,
    day: datetime.date | None = None,
) -> DecisionOutcome:  # fmt: skip
    """Record the operator's decision on ``person_id`` (their agency as ``panel:`` in
    ``cohort.yaml`` lists them); audited, agreed or pending."""
    rules = cohort_rules(config)
    actor = config.settings.actor_name
    agency = rules.panel.agency_of(actor) if rules.panel else None
    if agency is None:
        raise CohortDecisionRefused(
            f"{actor} is not a panel decision-maker",
            hint="the panel's police and probation decision-makers are listed under panel: in "
            "cohort.yaml; run as one of them (IOMHUB_ACTOR)",
        )
    return record_decision(config, actor, agency, person_id, decision, strand, reason, day)


def record_decision(
    config: HubConfig, decided_by: str, agency: Agency, person_id: str, decision: Action,
    strand: str | None, reason: str, day: datetime.date | None = None,
) -> DecisionOutcome:  # fmt: skip
    """Record a decision by ``decided_by`` for ``agency`` (the caller has checked that they
    decide for it: :func:`decide` by ``cohort.yaml``, the web app by the account's panel role)."""
    if not reason.strip():
        raise CohortDecisionRefused("a decision needs a reason", hint="give --reason TEXT")
    day = day or datetime.date.today()
    workspace = Workspace(config.workspace)
    merged = merges(workspace)
    while person_id in merged:
        person_id = merged[person_id]
    if decision == "select":
        _check_known(workspace, person_id)
    with open_store(workspace) as store:
        if decision == "deselect" and strand is None:
            current = [m for m in store.memberships(person_id) if m.current_on(day)]
            if not current:
                raise CohortDecisionRefused(f"{person_id} is not in the cohort")
            strand = current[0].strand
        if strand not in STRANDS:
            raise CohortDecisionRefused(
                f"a selection names its strand: one of {', '.join(STRANDS)}", hint="give --strand"
            )
        outcome = store.decide(person_id, decision, strand, agency, decided_by, reason, day)
    workspace.open_audit(config.settings).record(CohortDecision(
        person_id=person_id, decision=decision, strand=strand, agency=agency,
        decided_by=decided_by, outcome=outcome.outcome, reason=reason,
    ))  # fmt: skip
    return outcome


def members(config: HubConfig, day: datetime.date | None = None) -> list[Membership]:
    """The cohort on ``day`` (today unless given), one spell per person."""
    day = day or datetime.date.today()
    with open_store(Workspace(config.workspace)) as store:
        return store.members(day)
