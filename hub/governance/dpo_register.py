"""The register of agreements for the DPO's console: each agreement as the register summarises
it (:mod:`hub.governance.agreement_register`: parties, purpose, lawful basis per feed, dates,
retention, DPIA reference, field by field terms and conditions), with its approval state (is the
file's version approved, by whom and when; which version stays in force meanwhile) and the
warnings a DPO acts on (review passed or near, expiry passed or near, suspended, not valid).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from hub.config import HubConfig
from hub.governance.agreement_register import AgreementSummary, agreement_register
from hub.run.agreement_versions import approved_in_force, kept_versions
from hub.workspace import Workspace

ATTENTION = frozenset({"review overdue", "expired", "suspended", "not yet in force", "invalid"})


@dataclass(frozen=True)
class RegisterEntry:
    """One agreement file in the register, with its approval state and warnings."""

    summary: AgreementSummary
    approved: bool
    approval: str
    """In words: 'approved by NAME on DAY', or what stays in force while it waits."""
    warnings: tuple[str, ...]


def _approval(workspace: Workspace, summary: AgreementSummary) -> tuple[bool, str]:
    if summary.status == "invalid":
        return False, "not valid, so not approvable"
    for kept in kept_versions(workspace, summary.agreement_id):
        if kept.version == summary.version and kept.sha256 == summary.sha256 and kept.approval:
            return True, (
                f"approved by {kept.approval.approved_by} on {kept.approval.approved_at[:10]}"
            )
    previous = approved_in_force(workspace, summary.agreement_id)
    stays = f"v{previous.version} stays in force" if previous else "nothing flows under it"
    return False, f"v{summary.version} waits for approval; {stays}"


def register_entries(config: HubConfig, day: datetime.date | None = None) -> list[RegisterEntry]:
    """Every agreement file with its approval state and warnings on ``day`` (default today)."""
    workspace = Workspace(config.workspace)
    entries = []
    for summary in agreement_register(config, day):
        approved, approval = _approval(workspace, summary)
        warnings = []
        if summary.note:
            warnings.append(summary.note)
        elif summary.status in ATTENTION:
            warnings.append(summary.status)
        if not approved:
            warnings.append(approval)
        if summary.status != "invalid" and not summary.dpia_reference:
            warnings.append("no DPIA reference")
        entries.append(RegisterEntry(summary, approved, approval, tuple(warnings)))
    return entries
