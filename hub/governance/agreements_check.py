"""The agreements check: per recipient, the fields an agreement in force allows and why.

Loading the agreements validates them: a malformed or contradictory agreement raises the sharing
layer's error (exit 2). The check then judges them on a day: each recipient's effective fields
with the clause allowing each, the fields not released, the conditions that narrow who or what
flows, and warnings of reviews and expiries coming up. Only approved versions are judged; a
version waiting for approval is listed with every way it would widen what flows.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from hub.config import HubConfig
from hub.run.agreement_versions import ApprovalOutcome, PendingVersion
from sharing_agreements.policy import RecipientPolicy


@dataclass(frozen=True)
class FieldGrant:
    """One field a recipient receives: its treatment, the partners it comes from, the clauses."""

    field: str
    treatment: str
    sources: tuple[str, ...]
    clauses: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"field": self.field, "treatment": self.treatment, "from": list(self.sources),
                "clauses": list(self.clauses)}  # fmt: skip


@dataclass(frozen=True)
class RecipientCheck:
    """What one recipient may receive on the day judged."""

    recipient: str
    description: str
    fields: tuple[FieldGrant, ...]
    not_released: tuple[str, ...]
    conditions: tuple[str, ...]
    """One line per agreement: whose records and which values it limits, and until when."""

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "fields": [grant.as_dict() for grant in self.fields],
            "not_released": list(self.not_released),
            "conditions": list(self.conditions),
        }


@dataclass(frozen=True)
class AgreementsCheck:
    """The outcome of checking every agreement on one day."""

    day: datetime.date
    agreements: int
    recipients: tuple[RecipientCheck, ...]
    warnings: tuple[str, ...]
    pending: tuple[PendingVersion, ...] = ()
    """Versions in the agreement files not yet approved: they have no effect."""

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "date": self.day.isoformat(),
            "recipients": {r.recipient: r.as_dict() for r in self.recipients},
            "warnings": list(self.warnings),
            "pending_approval": [
                {"id": p.agreement_id, "version": p.version, "sha256": p.sha256,
                 "in_force": p.in_force, "widening": [str(w) for w in p.widening]}
                for p in self.pending
            ],
        }  # fmt: skip


def check_agreements(config: HubConfig, day: datetime.date | None = None) -> AgreementsCheck:
    """Validate the agreements and judge them on ``day`` (default: today, UTC)."""
    from hub.run.publish import load_in_force, today_utc
    from sharing_agreements.policy import agreement_warnings, recipient_policy
    from sharing_agreements.view import VIEW_FIELDS

    in_force = load_in_force(config, keep=False)
    agreements = in_force.agreements
    day = day or today_utc()
    feeds = [feed.name for feed in config.feeds]
    warnings = [
        f"{a.label} ({a.source_file}): {w}"
        for a in agreements.agreements
        for w in agreement_warnings(a, day)
    ]
    recipients = []
    for recipient in config.recipients:
        policy = recipient_policy(agreements.agreements, recipient.name, feeds, day)
        allowed = {rule.field for rule in policy.columns}
        grants = tuple(
            FieldGrant(rule.field, str(rule.treatment), tuple(rule.sources),
                       tuple(str(clause) for clause in rule.clauses))
            for rule in policy.columns
        )  # fmt: skip
        recipients.append(RecipientCheck(
            recipient.name, recipient.description, grants,
            tuple(name for name in VIEW_FIELDS if name not in allowed), _conditions(policy),
        ))  # fmt: skip
        if not policy.columns:
            warnings.append(
                f"recipient {recipient.name}: no agreement in force allows any "
                "field; nothing will be published"
            )
    warnings += [pending.describe() for pending in in_force.pending]
    return AgreementsCheck(day, len(agreements.agreements), tuple(recipients), tuple(warnings),
                           in_force.pending)  # fmt: skip


def _conditions(policy: RecipientPolicy) -> tuple[str, ...]:
    lines = []
    for agreement in policy.agreements:
        parts = []
        if agreement.subjects:
            parts += agreement.subjects.describe()
        for name, values in agreement.where.items():
            parts.append(f"only where {name} is {' or '.join(repr(v) for v in values)}")
        for name, clause in agreement.fields.items():
            for other, values in clause.where.items():
                parts.append(
                    f"{name}: only where {other} is {' or '.join(repr(v) for v in values)}"
                )
        parts.append(f"in force until {agreement.expiry_date}")
        lines.append(f"{agreement.label}: {'; '.join(parts)}")
    return tuple(lines)


def approve_agreement(
    config: HubConfig, agreement_id: str, version: str, approved_by: str
) -> ApprovalOutcome:
    """Approve one agreement version as its file holds it (audited); it is in force from now."""
    from hub.run.agreement_versions import approve_version
    from hub.run.publish import load_sharing
    from hub.workspace import Workspace

    workspace = Workspace(config.workspace)
    audit = workspace.open_audit(config.settings)
    return approve_version(
        workspace, load_sharing(config), audit, agreement_id, version, approved_by
    )


def approve_every_agreement(config: HubConfig, approved_by: str) -> list[ApprovalOutcome]:
    """Approve every agreement version the hub's files hold, as each file holds it (audited);
    the demo's setup does this for the example agreements, naming its approver."""
    from hub.run.publish import load_sharing

    return [
        approve_agreement(config, agreement.id, agreement.version, approved_by)
        for agreement in load_sharing(config).agreements
    ]
