"""Agreements as versions: each version's text kept as first used, and in force once approved.

An agreement file is a version (its ``version:``) with a text (its bytes, named by SHA-256).
The first time a version is used its text is copied into the workspace
(``agreements/<id>/<version>/<sha256>.yaml``, read-only); a different text under the same
version is refused from then on, so a release is always described by the text it was made
under. A version takes effect only once approved by a named person (:func:`approve_version`,
audited as :class:`~hub.audit.events.AgreementApproved`): until then the version approved before
it stays in force, or nothing flows under that agreement when none was. Approving shows every way
the new text widens the one it replaces (:func:`sharing_agreements.changes.widening`).
"""

from __future__ import annotations

import datetime
import hashlib
import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

from hub.audit.events import AgreementApproved
from hub.audit.log import AuditLog
from hub.errors import AgreementVersionError
from hub.workspace import PRIVATE_FOLDER, AgreementVersionFolder, Workspace
from sharing_agreements.changes import Widening, widening
from sharing_agreements.load import AgreementSet, check_agreements, load_agreement
from sharing_agreements.model import Agreement

NEW_VERSION_HINT = (
    "give the agreement a new version number, then approve it: "
    "`iomhub agreements approve ID VERSION --by NAME`"
)


@dataclass(frozen=True)
class Approval:
    """Who approved an agreement version's text, and when (``approval.json``)."""

    sha256: str
    approved_by: str
    approved_at: str


@dataclass(frozen=True)
class KeptVersion:
    """An agreement version whose text the workspace keeps, with its approval if any."""

    agreement_id: str
    version: str
    sha256: str
    text: Path
    approval: Approval | None

    @property
    def label(self) -> str:
        """``id vN``, as clauses are cited."""
        return f"{self.agreement_id} v{self.version}"


@dataclass(frozen=True)
class PendingVersion:
    """A version in the agreement files that is not approved: it has no effect yet."""

    agreement_id: str
    version: str
    sha256: str
    in_force: str | None
    """The approved version that stays in force meanwhile (None: nothing flows under it)."""
    widening: tuple[Widening, ...]

    def describe(self) -> str:
        """One line for the officer: what waits, what stays in force."""
        stays = f"v{self.in_force} stays in force" if self.in_force else "nothing flows under it"
        return (
            f"{self.agreement_id} v{self.version} is not approved; {stays} until "
            f"`iomhub agreements approve {self.agreement_id} {self.version} --by NAME`"
        )


@dataclass(frozen=True)
class AgreementsInForce:
    """The agreement versions in force, the SHA-256 of each one's text, and what waits."""

    agreements: AgreementSet
    sha256: dict[str, str]
    """``"ID vN"`` -> the SHA-256 of that version's text."""
    pending: tuple[PendingVersion, ...]


@dataclass(frozen=True)
class ApprovalOutcome:
    """What approving a version did."""

    agreement_id: str
    version: str
    sha256: str
    approved_by: str
    previous_version: str | None
    widening: tuple[Widening, ...]
    already_approved: bool = False


def text_sha256(agreement: Agreement) -> tuple[bytes, str]:
    """An agreement file's bytes and their SHA-256."""
    if agreement.source_file is None:
        raise AgreementVersionError(f"agreement {agreement.id!r} has no file to keep")
    text = agreement.source_file.read_bytes()
    return text, hashlib.sha256(text).hexdigest()


def keep_text(workspace: Workspace, agreement: Agreement, *, keep: bool = True) -> str:
    """The SHA-256 of the agreement's text, its copy kept on first use (``keep``); a text that
    differs from the one first used under the same version is refused."""
    text, digest = text_sha256(agreement)
    folder = workspace.agreement_version(agreement.id, agreement.version)
    first = [path for path in folder.texts() if path.stem != digest]
    if first:
        raise AgreementVersionError(
            f"{agreement.source_file}: agreement {agreement.id!r} version {agreement.version} "
            f"was first used with another text (sha256 {first[0].stem[:12]}); "
            "a changed text is refused under the same version",
            hint=NEW_VERSION_HINT,
        )
    if keep and not folder.text(digest).exists():
        for level in (workspace.agreement_versions, folder.root.parent, folder.root):
            level.mkdir(mode=PRIVATE_FOLDER, exist_ok=True)
        _write_once(folder.text(digest), text)
    return digest


def _write_once(path: Path, content: bytes) -> None:
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_bytes(content)
    temporary.chmod(0o400)
    os.replace(temporary, path)


def _approval(folder: AgreementVersionFolder) -> Approval | None:
    try:
        document = json.loads(folder.approval.read_text(encoding="utf-8"))
        return Approval(**document)
    except (OSError, ValueError, TypeError):
        return None


def kept_versions(workspace: Workspace, agreement_id: str | None = None) -> list[KeptVersion]:
    """Every agreement version kept in the workspace (of one agreement, when named)."""
    found = []
    for folder in workspace.agreement_version_folders():
        if agreement_id is not None and folder.root.parent.name != agreement_id:
            continue
        approval = _approval(folder)
        for text in folder.texts():
            approved = approval if approval and approval.sha256 == text.stem else None
            found.append(KeptVersion(folder.root.parent.name, folder.root.name, text.stem, text,
                                     approved))  # fmt: skip
    return found


def kept_version(
    workspace: Workspace, agreement_id: str, version: str, sha256: str
) -> Agreement | None:
    """The text of one agreement version as kept (None when not kept or no longer valid)."""
    path = workspace.agreement_version(agreement_id, version).text(sha256)
    try:
        return load_agreement(path) if path.is_file() else None
    except Exception:  # a kept text that no longer validates describes nothing
        return None


def _agreement_of(workspace: Workspace, kept: KeptVersion | None) -> Agreement | None:
    if kept is None:
        return None
    return kept_version(workspace, kept.agreement_id, kept.version, kept.sha256)


def approved_in_force(workspace: Workspace, agreement_id: str) -> KeptVersion | None:
    """The version of an agreement approved most recently."""
    approved = [v for v in kept_versions(workspace, agreement_id) if v.approval]
    return max(approved, key=lambda v: v.approval.approved_at if v.approval else "", default=None)


def agreements_in_force(
    workspace: Workspace,
    loaded: AgreementSet,
    *,
    feeds: list[str],
    recipients: list[str],
    keep: bool = True,
) -> AgreementsInForce:
    """Per agreement file: its version if approved, else the version approved before it (or
    nothing); texts kept on first use when ``keep``."""
    chosen: list[Agreement] = []
    digests: dict[str, str] = {}
    pending: list[PendingVersion] = []
    for agreement in loaded.agreements:
        digest = keep_text(workspace, agreement, keep=keep)
        approval = _approval(workspace.agreement_version(agreement.id, agreement.version))
        if approval and approval.sha256 == digest:
            chosen.append(agreement)
            digests[agreement.label] = digest
            continue
        previous = approved_in_force(workspace, agreement.id)
        old = _agreement_of(workspace, previous)
        in_force = old.version if old else None
        pending.append(
            PendingVersion(
                agreement.id, agreement.version, digest, in_force, widening(old, agreement)
            )
        )
        if old is not None and previous is not None:
            chosen.append(old)
            digests[old.label] = previous.sha256
    return AgreementsInForce(
        check_agreements(chosen, feeds=feeds, recipients=recipients), digests, tuple(pending)
    )


def approve_version(
    workspace: Workspace,
    loaded: AgreementSet,
    audit: AuditLog,
    agreement_id: str,
    version: str,
    approved_by: str,
) -> ApprovalOutcome:
    """Approve the agreement file's version ``version`` of ``agreement_id``, named by
    ``approved_by``: keep its text, record the approval in the audit log, then make it the
    version in force."""
    approved_by = approved_by.strip()
    if not approved_by:
        raise AgreementVersionError("an approval needs the approver's name", hint="pass --by NAME")
    agreement = loaded.get(agreement_id)
    if agreement is None or agreement.version != version:
        found = f"the file has version {agreement.version}" if agreement else "no such agreement"
        raise AgreementVersionError(
            f"agreement {agreement_id!r} version {version} is not among the hub's agreement "
            f"files ({found})",
            hint="approve the version the agreement file holds",
        )
    workspace.create()
    digest = keep_text(workspace, agreement)
    folder = workspace.agreement_version(agreement_id, version)
    current = _approval(folder)
    previous = approved_in_force(workspace, agreement_id)
    if current and current.sha256 == digest:
        return ApprovalOutcome(agreement_id, version, digest, current.approved_by, None, (),
                               already_approved=True)  # fmt: skip
    old = _agreement_of(workspace, previous)
    changes = widening(old, agreement)
    audit.record(
        AgreementApproved(
            agreement_id=agreement_id,
            version=version,
            sha256=digest,
            approved_by=approved_by,
            previous_version=old.version if old else None,
            widening=tuple(str(change) for change in changes),
        )
    )
    now = datetime.datetime.now(datetime.UTC).isoformat(timespec="microseconds")
    approval = Approval(digest, approved_by, now)
    _write_once(folder.approval, json.dumps(asdict(approval), indent=2).encode())
    return ApprovalOutcome(agreement_id, version, digest, approved_by,
                           old.version if old else None, changes)  # fmt: skip
