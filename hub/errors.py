"""Errors of the hub layer: workspace, state and orchestration."""

from __future__ import annotations

from schemas.errors import HubError


class AuditError(HubError):
    """The audit log cannot be written or read, or refuses an entry."""


class AuditEntryInvalid(AuditError):
    """An audit entry does not hold what its action records (fields missing, unknown or of the
    wrong type)."""


class UnknownAuditAction(AuditEntryInvalid):
    """An audit entry names an action no event type records."""


class PersonalDataInReason(AuditError):
    """A person's free-text reason holds personal data; the log refuses it (it cannot be edited
    afterwards)."""

    exit_code = 2


class WorkspaceError(HubError):
    """The workspace cannot be used: not writable, or locked by another run."""


class WorkspaceLocked(WorkspaceError):
    """Another hub run holds the workspace lock."""

    exit_code = 3


class InvalidRequest(HubError):
    """A request the hub cannot act on as given (a wrong file type, a missing choice)."""

    exit_code = 2


class ExtractError(HubError):
    """An extract named by an officer cannot be found or acted on (e.g. accepted)."""

    exit_code = 2


class AccountError(HubError):
    """An account cannot be created, found or used as asked."""

    exit_code = 2


class PseudonymMapUnreadable(HubError):
    """A kept pseudonym map cannot be opened: another master key sealed it, or it was altered."""


class PseudonymMapKeyMismatch(PseudonymMapUnreadable):
    """A kept pseudonym map was sealed under another master key than the one held."""


class AgreementVersionError(HubError):
    """An agreement version that cannot be used as given: its text changed under the same
    version, or the version asked to be approved is not known."""

    exit_code = 2


class CohortError(HubError):
    """The IOM cohort cannot be drawn: its rules or the view it reads are missing."""


class CohortInputMissing(CohortError):
    """The matched person view the cohort is drawn from is not there yet."""


class CohortDecisionRefused(CohortError):
    """A panel decision the hub cannot record: not a decision-maker, not a member, decided twice."""

    exit_code = 2
