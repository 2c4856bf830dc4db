"""What the audit log records: one frozen dataclass per action, and the entry that carries it.

Each event class names its operation (DPA 2018 s.62: collection, alteration, consultation,
disclosure, combination, erasure; or a configuration change) and its action, and holds ids,
counts and hashes only: never personal data. Writers hand an event to
:meth:`hub.audit.log.AuditLog.record`; readers get :class:`AuditEntry` objects back, each carrying
the same event type. An entry whose action no class records raises :class:`UnknownAuditAction`.

How an event is written (:mod:`hub.audit.codec` does the mapping): an attribute marked
:class:`InCounts` goes to the entry's ``counts``, ``reason`` and ``agreement_id`` to the entry's
own keys, every other attribute to ``objects``. An attribute with a default is written only when
it differs from it, and is read back as the default when absent (older entries lack it).

One module on purpose, near 500 lines: the list of everything the log records is read
as one catalogue, by the DPO as much as by the code; each class is a short declaration.
"""

from __future__ import annotations

import datetime
import enum
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Annotated, Any, ClassVar

if TYPE_CHECKING:
    from matching.run import MatchCounts


class Operation(enum.StrEnum):
    """What kind of processing an entry records (DPA 2018 s.62, plus configuration)."""

    COLLECTION = "collection"
    ALTERATION = "alteration"
    CONSULTATION = "consultation"
    DISCLOSURE = "disclosure"
    COMBINATION = "combination"
    ERASURE = "erasure"
    CONFIGURATION = "configuration"
    ACCESS = "access"
    """Sign-ins to the web app and sign-ins refused: who reached the hub, not what they saw."""


@dataclass(frozen=True)
class InCounts:
    """Marks an attribute written in the entry's ``counts`` (under ``key``, else its name)."""

    key: str | None = None


@dataclass(frozen=True)
class CountsByCode:
    """Marks a mapping written as one count per code, each key ``prefix + code``."""

    prefix: str


@dataclass(frozen=True)
class ObjectKey:
    """Marks an attribute written in the entry's ``objects`` under another key."""

    key: str


Count = Annotated[int, InCounts()]


@dataclass(frozen=True, kw_only=True)
class AuditEvent:
    """One action the audit log records; subclasses name the operation and the action."""

    operation: ClassVar[Operation]
    action: ClassVar[str]
    reason_by_person: ClassVar[bool] = False
    """Whether ``reason`` is a person's free text (checked for personal data before writing)."""


# --- collection and alteration ------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class Pull(AuditEvent):
    """A file landed from a partner's drop."""

    operation = Operation.COLLECTION
    action = "pull"
    feed: str
    file: str
    sha256: str
    source: str
    bytes: Count


@dataclass(frozen=True, kw_only=True)
class Ingest(AuditEvent):
    """An extract checked row by row: rows accepted into staging, rows quarantined."""

    operation = Operation.ALTERATION
    action = "ingest"
    feed: str
    extract_id: str
    rows_read: Count
    rows_accepted: Count
    rows_quarantined: Count


@dataclass(frozen=True, kw_only=True)
class IngestRejected(AuditEvent):
    """A whole extract refused (its format is not the feed's); ``reason`` says why."""

    operation = Operation.ALTERATION
    action = "ingest_rejected"
    feed: str
    extract_id: str
    reason: str


@dataclass(frozen=True, kw_only=True)
class ExtractHeld(AuditEvent):
    """A new extract kept from becoming current: it lost or quarantined too many rows."""

    operation = Operation.ALTERATION
    action = "extract_held"
    feed: str
    extract_id: str
    reason: str


@dataclass(frozen=True, kw_only=True)
class ExtractResent(AuditEvent):
    """An earlier extract sent again (same bytes): current again from its staged rows."""

    operation = Operation.ALTERATION
    action = "extract_resent"
    feed: str
    extract_id: str
    replaced: str | None = None


@dataclass(frozen=True, kw_only=True)
class ExtractAccepted(AuditEvent):
    """A held extract made current on purpose by an officer, with the reason given."""

    operation = Operation.ALTERATION
    action = "extract_accepted"
    reason_by_person = True
    feed: str
    extract_id: str
    replaced: str | None = None
    rows_accepted: Count
    rows_quarantined: Count
    reason: str


@dataclass(frozen=True, kw_only=True)
class _ReviewOfPair(AuditEvent):
    """A reviewer's act on a pair of records (``left`` and ``right`` are ``source:record_id``);
    ``reason`` is the reviewer's note."""

    operation = Operation.ALTERATION
    reason_by_person = True
    pair_id: str | None
    left: str
    right: str
    reason: str | None = None


@dataclass(frozen=True, kw_only=True)
class ReviewDecision(_ReviewOfPair):
    """A reviewer's decision on a pair of records (it overrides the model from then on)."""

    action = "review_decision"
    decision: str
    """'same' or 'different'."""
    decided_by: str

    @classmethod
    def of_pair(cls, row: dict[str, Any], same: bool, note: str | None, by: str) -> ReviewDecision:
        """The decision on a review-queue row (``source_l``, ``record_id_l``, ...)."""
        return cls(pair_id=row.get("pair_id"), left=f"{row['source_l']}:{row['record_id_l']}",
                   right=f"{row['source_r']}:{row['record_id_r']}", decided_by=by,
                   decision="same" if same else "different", reason=note)  # fmt: skip


@dataclass(frozen=True, kw_only=True)
class ReviewNotSure(_ReviewOfPair):
    """A reviewer could not tell whether two records are one person; the model still decides."""

    action = "review_not_sure"
    decided_by: str


@dataclass(frozen=True, kw_only=True)
class ReviewDecisionHeld(_ReviewOfPair):
    """A reviewer's decision that needs a second, different reviewer before it takes effect
    (four eyes: ``why`` says which rule asked for one)."""

    action = "review_decision_held"
    decision: str
    decided_by: str
    why: str


@dataclass(frozen=True, kw_only=True)
class ReviewDecisionSeconded(_ReviewOfPair):
    """A second reviewer agreed with a held decision: it takes effect from the next match."""

    action = "review_decision_seconded"
    decision: str
    decided_by: str
    first_by: str


@dataclass(frozen=True, kw_only=True)
class ReviewDecisionWithdrawn(_ReviewOfPair):
    """A decision (in force, held or "not sure") withdrawn: the model decides the pair again
    from the next match."""

    action = "review_decision_withdrawn"
    decision: str
    """What was withdrawn: 'same', 'different' or 'not sure'."""
    withdrawn_by: str


@dataclass(frozen=True, kw_only=True)
class CohortDecision(AuditEvent):
    """A panel decision-maker selects a person for a strand of the IOM cohort, or deselects
    them; it takes effect when a decision-maker of the other agency makes the same decision."""

    operation = Operation.ALTERATION
    action = "cohort_decision"
    person_id: str
    decision: str
    """'select' or 'deselect'."""
    strand: str
    agency: str
    """The decision-maker's agency: 'police' or 'probation'."""
    decided_by: str
    outcome: str
    """'pending' (awaits the other agency) or 'agreed' (membership started or ended)."""
    reason: str


# --- combination --------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class MatchRun(AuditEvent):
    """A match run that produced new results (a skipped, unchanged run is not one)."""

    operation = Operation.COMBINATION
    action = "match_run"
    run_id: str
    model_version: str
    records: Count
    persons: Count
    persons_with_links: Count
    links: Count
    scored_pairs: Count
    created: Count
    merges: Count
    splits: Count
    retired: Count
    review_pairs: Count
    decisions_applied: Count

    @classmethod
    def of_counts(cls, counts: MatchCounts) -> MatchRun:
        """The event for a run's counts."""
        return cls(run_id=counts.run_id, model_version=counts.model_version, records=counts.records,
                   persons=counts.persons, persons_with_links=counts.persons_with_links,
                   links=counts.links, scored_pairs=counts.scored_pairs, created=counts.created,
                   merges=counts.merges, splits=counts.splits, retired=counts.retired,
                   review_pairs=counts.review_pairs,
                   decisions_applied=counts.decisions_applied)  # fmt: skip


# --- disclosure ---------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class Release(AuditEvent):
    """A release placed for a recipient: the disclosure itself."""

    operation = Operation.DISCLOSURE
    action = "release"
    recipient: str
    release_id: str
    path: str
    agreements: tuple[str, ...]
    """``"ID vN"`` of every agreement the release was made under."""
    agreement_sha256: tuple[str, ...] = ()
    """The SHA-256 of each of those agreement versions' text, in the same order (entries
    written before versions were kept lack it)."""
    fields: tuple[str, ...]
    key_id: str | None
    manifest_sha256: str
    recovered: bool = False
    """Recorded after an interrupted run placed it."""
    rows: Count
    withheld: Annotated[dict[str, int], CountsByCode("withheld_")] = field(default_factory=dict)
    """Values withheld, per reason code."""
    agreement_id: str
    """The agreement ids, joined by commas."""
    reason: str


@dataclass(frozen=True, kw_only=True)
class ReleaseWithheld(AuditEvent):
    """No agreement in force allows any field to a recipient: nothing published."""

    operation = Operation.DISCLOSURE
    action = "release_withheld"
    recipient: str
    reason: str


@dataclass(frozen=True, kw_only=True)
class ReleaseRejected(AuditEvent):
    """A release that failed its checks; nothing was published."""

    operation = Operation.DISCLOSURE
    action = "release_rejected"
    recipient: str
    release_id: str
    problems: tuple[str, ...]
    reason: str


@dataclass(frozen=True, kw_only=True)
class ReleaseDelivered(AuditEvent):
    """A release pushed to the recipient's own server."""

    operation = Operation.DISCLOSURE
    action = "deliver"
    recipient: str
    release_id: str
    to: str


# --- consultation -------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class Reidentified(AuditEvent):
    """A recipient's pseudonym mapped back to the hub's person (found or not)."""

    operation = Operation.CONSULTATION
    action = "reidentify"
    reason_by_person = True
    recipient: str
    pseudonym: str
    found: bool
    person_id: str | None
    field: str | None
    releases: tuple[str, ...]
    method: str
    records: Count
    reason: str


@dataclass(frozen=True, kw_only=True)
class ReidentifyRefused(AuditEvent):
    """A re-identification refused before any look-up; ``refused`` says why."""

    operation = Operation.CONSULTATION
    action = "reidentify_refused"
    reason_by_person = True
    recipient: str
    pseudonym: str
    refused: str
    reason: str | None


@dataclass(frozen=True, kw_only=True)
class ReidentifyFailed(AuditEvent):
    """A re-identification whose look-up failed (``error`` is the error's class name)."""

    operation = Operation.CONSULTATION
    action = "reidentify_failed"
    reason_by_person = True
    recipient: str
    pseudonym: str
    error: str
    reason: str


@dataclass(frozen=True, kw_only=True)
class Consultation(AuditEvent):
    """Personal data looked at by a signed-in person (a web page or an export), for a purpose.

    ``person_ids`` are the pseudonymous ids of the view shown (the recipient's ids, with
    ``view_of`` naming the recipient); a name typed into a search is never written, only that
    a name search was made.
    """

    operation = Operation.CONSULTATION
    action = "web_view"
    page: str
    purpose: str
    release_id: str | None = None
    view_of: str | None = None
    person_ids: tuple[str, ...] = ()
    records: tuple[str, ...] = ()
    """Partner rows shown (``feed:extract_id:row``), e.g. a quarantine sample."""
    filters: tuple[str, ...] = ()
    name_search: bool = False
    export: str | None = None
    people: Count = 0


@dataclass(frozen=True, kw_only=True)
class CommandConsultation(AuditEvent):
    """Personal data shown by a command (``match review``, ``match explain``, ``links export``);
    the entry's actor is the declared operator, beside the operating-system user."""

    operation = Operation.CONSULTATION
    action = "command_view"
    command: str
    purpose: str
    pairs: tuple[str, ...] = ()
    """Review-list pair ids shown."""
    records: tuple[str, ...] = ()
    """``source:record_id`` of the partner records shown."""
    out: str | None = None
    """The file written, for an export."""
    records_shown: Count = 0
    """How many partner records were shown or written."""


@dataclass(frozen=True, kw_only=True)
class AccessRefused(AuditEvent):
    """A signed-in person asked for a page their roles do not open (answered 403)."""

    operation = Operation.CONSULTATION
    action = "access_refused"
    page: str
    role_needed: str


@dataclass(frozen=True, kw_only=True)
class SignedIn(AuditEvent):
    """A person signed in to the web app (the entry's user and actor name the account)."""

    operation = Operation.ACCESS
    action = "signed_in"
    method: str
    """'password', or 'oidc' (single sign-on)."""
    provider: str | None = None
    """The single sign-on provider's issuer."""
    roles: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class SignInDenied(AuditEvent):
    """A single sign-on the provider vouched for, or tried to, that the hub refused."""

    operation = Operation.ACCESS
    action = "sign_in_denied"
    method: str
    provider: str | None = None
    account: str | None = None
    """The account the provider named, when the token was good enough to name one."""
    cause: str
    """'no_role' (no claim value maps to a role), 'not_allowed' (a required claim value is
    missing), 'bad_token', 'bad_state', 'provider_error', 'local_account' (the name is a password
    account of the hub) or 'disabled'."""


@dataclass(frozen=True, kw_only=True)
class AccountChanged(AuditEvent):
    """An account of the web app added, disabled or given a new password (never the password)."""

    operation = Operation.CONFIGURATION
    action = "account_changed"
    account: str
    change: str
    """'added', 'disabled' or 'password reset'."""
    roles: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class PersonFound(AuditEvent):
    """A look-up of everything held about the person a partner record belongs to."""

    operation = Operation.CONSULTATION
    action = "person_find"
    reason_by_person = True
    source: str
    source_record_id: str
    person_id: str | None = None
    """None when no record was found."""
    records: Count
    partners: Count = 0
    releases: Count
    reason: str


@dataclass(frozen=True, kw_only=True)
class CohortListed(AuditEvent):
    """The cohort's candidates listed (counts per strand; written to a file or not)."""

    operation = Operation.CONSULTATION
    action = "cohort_candidates"
    fixed: Count
    flex: Count
    free: Count
    excluded: Count
    written: bool = False


@dataclass(frozen=True, kw_only=True)
class SubjectAccessDisclosed(AuditEvent):
    """A subject access response pack made for the person it is about (a disclosure to the
    data subject): what it holds, in counts, and the SHA-256 of the pack as handed over."""

    operation = Operation.DISCLOSURE
    action = "subject_access_pack"
    reason_by_person = True
    person_id: str | None
    records: tuple[str, ...]
    """``source:record_id`` of the partner records in the pack."""
    releases: Count
    consultations: Count
    sha256: str
    reason: str
    """The request's reference, e.g. 'SAR-2026-017'."""


@dataclass(frozen=True, kw_only=True)
class CohortPerformanceReported(AuditEvent):
    """The scheme's performance drawn (report and pseudonymised CSV written; counts only)."""

    operation = Operation.CONSULTATION
    action = "cohort_performance"
    spells: Count
    suppressed: Count
    folder: str


# --- erasure ------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class _Erasure(AuditEvent):
    """Files erased at the end of their retention period; ``reason`` says which."""

    operation = Operation.ERASURE
    item_id: Annotated[str, ObjectKey("id")]
    paths: Annotated[tuple[str, ...], ObjectKey("files")]
    """Relative to the workspace."""
    files: Annotated[int, InCounts("files")]
    """How many of ``paths`` were there to erase."""
    bytes: Count
    age_days: Count
    retention_days: Count
    agreement_id: str | None
    reason: str


@dataclass(frozen=True, kw_only=True)
class ExtractErased(_Erasure):
    """A landed extract with its staging and quarantine files."""

    action = "erase_extract"
    feed: str


@dataclass(frozen=True, kw_only=True)
class RejectedFileErased(_Erasure):
    """A whole file rejected on checksum."""

    action = "erase_rejected_file"
    feed: str


@dataclass(frozen=True, kw_only=True)
class ReleaseErased(_Erasure):
    """A release's delivery folder and its records (the pseudonym map)."""

    action = "erase_release"
    recipient: str


@dataclass(frozen=True, kw_only=True)
class MatchedErased(_Erasure):
    """Matching's outputs (person view, record links, review list, standardised records,
    report) or an earlier assignment snapshot under ``matched/``."""

    action = "erase_matched"


@dataclass(frozen=True, kw_only=True)
class OutboxErased(_Erasure):
    """A release's copy pushed to a recipient's outbox folder."""

    action = "erase_outbox"
    recipient: str


ERASURES: dict[str, type[_Erasure]] = {
    "extract": ExtractErased,
    "rejected_file": RejectedFileErased,
    "release": ReleaseErased,
    "matching": MatchedErased,
    "outbox": OutboxErased,
}
"""The erasure event for each kind of item retention erases."""


# --- configuration ------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class ConfigChanged(AuditEvent):
    """A configuration or agreement file whose content changed since the last run."""

    operation = Operation.CONFIGURATION
    action = "config_changed"
    file: str
    sha256: str
    kind: str | None = None
    """'agreement' or 'configuration' (entries written before it was recorded lack it)."""


@dataclass(frozen=True, kw_only=True)
class ConfigRemoved(AuditEvent):
    """A configuration or agreement file no longer used (``sha256`` is its last content)."""

    operation = Operation.CONFIGURATION
    action = "config_removed"
    file: str
    sha256: str


@dataclass(frozen=True, kw_only=True)
class AgreementApproved(AuditEvent):
    """An agreement version approved by a named person: from now on it is the one in force."""

    operation = Operation.CONFIGURATION
    action = "agreement_approved"
    agreement_id: str
    version: str
    sha256: str
    """The SHA-256 of the approved text (kept under the workspace's ``agreements/``)."""
    approved_by: str
    previous_version: str | None = None
    """The version it replaces, if one was in force."""
    widening: tuple[str, ...] = ()
    """Every way the approved text lets more leave than the one it replaces."""


EVENT_TYPES: tuple[type[AuditEvent], ...] = (
    Pull, Ingest, IngestRejected, ExtractHeld, ExtractResent, ExtractAccepted, ReviewDecision,
    MatchRun, Release, ReleaseWithheld, ReleaseRejected, ReleaseDelivered, Reidentified,
    ReidentifyRefused, ReidentifyFailed, PersonFound, Consultation, CommandConsultation,
    AccessRefused,
    ExtractErased, RejectedFileErased, ReleaseErased, ConfigChanged, ConfigRemoved,
    AccountChanged, MatchedErased, OutboxErased, AgreementApproved, CohortDecision,
    CohortListed, SubjectAccessDisclosed, SignedIn, SignInDenied, CohortPerformanceReported,
    ReviewNotSure, ReviewDecisionHeld, ReviewDecisionSeconded,
    ReviewDecisionWithdrawn,
)  # fmt: skip
"""Every action the log records."""

EVENTS: dict[str, type[AuditEvent]] = {event.action: event for event in EVENT_TYPES}
"""The event class of each action name."""


@dataclass(frozen=True)
class AuditEntry:
    """One entry read back from the log: when, by whom, and the event."""

    sequence: int
    time: datetime.datetime
    actor: str
    """The declared actor (``IOMHUB_ACTOR``), else the operating-system user."""
    event: AuditEvent
    os_user: str | None = None
    """The operating-system user who wrote the entry (None in entries written before it was
    recorded)."""
    user: str | None = None
    """The signed-in user (the web app), where there is one."""

    @property
    def operation(self) -> Operation:
        """The event's operation."""
        return self.event.operation

    @property
    def action(self) -> str:
        """The event's action name."""
        return self.event.action
