"""The register of sharing agreements, as a DPO reads it: who, what for, on what basis, until when.

Agreements are the YAML files the hub file lists under ``agreements:``, validated by the
sharing layer (which also enforces them; this module only describes them). Each becomes an
:class:`AgreementSummary` with its status on a given day:

``in force``            started, not expired, review date not passed
``review overdue``      in force, but its review date has passed
``not yet in force``    its start date is in the future
``expired``             its expiry date has passed (nothing flows under it)
``suspended``           paused by its ``suspended:`` flag (nothing flows under it)
``invalid``             the file is not a valid agreement; the reason says why
"""

from __future__ import annotations

import datetime
import hashlib
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from hub.config import HubConfig
from sharing_agreements.errors import AgreementError
from sharing_agreements.load import load_agreement
from sharing_agreements.model import Agreement, LawfulBasis

REVIEW_SOON_DAYS = 60


@dataclass(frozen=True)
class FieldTerm:
    """What an agreement says of one field: its treatment, from which feeds, on what condition."""

    name: str
    treatment: str
    sources: list[str]
    """The providing feeds the clause covers."""
    shared: bool
    """False for ``drop``: the agreement names the field to say it is never shared."""
    clause: str | None = None
    conditions: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class AgreementSummary:
    """One agreement as the register shows it (no personal data: names of roles and bodies)."""

    agreement_id: str
    title: str
    version: str
    status: str
    recipients: list[str] = field(default_factory=list)
    providers: list[str] = field(default_factory=list)
    parties: list[str] = field(default_factory=list)
    purpose: str = ""
    lawful_basis: str = ""
    start_date: str | None = None
    review_date: str | None = None
    expiry_date: str | None = None
    retention_days: int | None = None
    fields: dict[str, str] = field(default_factory=dict)
    contacts: list[str] = field(default_factory=list)
    field_terms: list[FieldTerm] = field(default_factory=list)
    conditions: list[str] = field(default_factory=list)
    """Whose data, and which rows, the agreement covers (``subjects``, ``where``)."""
    dpia_reference: str | None = None
    file: str = ""
    sha256: str = ""
    note: str = ""

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready document."""
        return asdict(self)


def agreement_files(config: HubConfig) -> list[Path]:
    """Every agreement file the hub file lists."""
    return list(config.agreements)


def status_on(
    day: datetime.date, start: datetime.date | None, review: datetime.date | None,
    expiry: datetime.date | None, suspended: bool = False,
) -> tuple[str, str]:  # fmt: skip
    """The status of an agreement on ``day`` and a short note."""
    if suspended:
        return "suspended", "suspended: nothing flows under it"
    if expiry is not None and day > expiry:
        return "expired", f"expired on {expiry.isoformat()}"
    if start is not None and day < start:
        return "not yet in force", f"starts on {start.isoformat()}"
    if review is not None and day > review:
        return "review overdue", f"review was due on {review.isoformat()}"
    notes = []
    if review is not None and (review - day).days <= REVIEW_SOON_DAYS:
        notes.append(f"review due in {(review - day).days} days")
    if expiry is not None and (expiry - day).days <= REVIEW_SOON_DAYS:
        notes.append(f"expires in {(expiry - day).days} days")
    return "in force", "; ".join(notes)


def describe_basis(basis: LawfulBasis) -> str:
    """One lawful basis in words, e.g. ``DPA 2018 Part 3 s.35(2)(b), Schedule 8 (police)``."""
    if basis.regime == "dpa2018_part3":
        text = f"DPA 2018 Part 3 s.{basis.section}, {basis.schedule}"
    else:
        articles = [f"Art. {a}" for a in (basis.article_6, basis.article_9) if a]
        if basis.article_10:
            articles.append(f"Art. 10: {basis.article_10}")
        text = "UK GDPR " + ", ".join(articles)
    return text + (f" ({', '.join(basis.feeds)})" if basis.feeds else "")


def _where(where: dict[str, list[str]]) -> list[str]:
    return [f"{name} is one of: {', '.join(values)}" for name, values in sorted(where.items())]


def conditions(agreement: Agreement) -> list[str]:
    """The agreement's conditions on whose data flows, in words."""
    covered = []
    if agreement.subjects is not None:
        covered += agreement.subjects.describe()
    return covered + _where(agreement.where)


def field_terms(agreement: Agreement) -> list[FieldTerm]:
    """Each field the agreement names: treatment, source feeds, shared or not, conditions."""
    terms = []
    for name, clause in agreement.fields.items():
        sources = agreement.clause_sources(name)
        terms.append(FieldTerm(name, str(clause.treatment), sources, clause.treatment.releases,
                               clause.clause, _where(clause.where)))  # fmt: skip
    return terms


def summarise(
    agreement: Agreement, path: Path, digest: str, day: datetime.date
) -> AgreementSummary:
    """The register's line for one validated agreement."""
    status, note = status_on(day, agreement.start_date, agreement.review_date,
                             agreement.expiry_date, agreement.suspended)  # fmt: skip
    return AgreementSummary(
        agreement_id=agreement.id,
        title=agreement.title,
        version=agreement.version,
        status=status,
        recipients=list(agreement.recipients),
        providers=list(agreement.providers),
        parties=[f"{p.name} ({p.role})" for p in agreement.parties],
        purpose=" ".join(agreement.purpose.split()),
        lawful_basis="; ".join(describe_basis(b) for b in agreement.lawful_basis),
        start_date=agreement.start_date.isoformat(),
        review_date=agreement.review_date.isoformat(),
        expiry_date=agreement.expiry_date.isoformat(),
        retention_days=agreement.retention_days,
        fields={name: str(clause.treatment) for name, clause in agreement.fields.items()},
        contacts=[f"{c.role}: {c.name} ({c.email})" for c in agreement.contacts],
        field_terms=field_terms(agreement),
        conditions=conditions(agreement),
        dpia_reference=agreement.dpia_reference,
        file=path.name,
        sha256=digest,
        note=note,
    )


def summarise_agreement(path: Path, day: datetime.date) -> AgreementSummary:
    """Read one agreement file; an invalid one is listed as ``invalid`` with the reason."""
    try:
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError as error:
        return AgreementSummary(path.stem, "", "", "invalid", file=path.name,
                                note=f"cannot be read: {error.strerror}")  # fmt: skip
    try:
        agreement = load_agreement(path)
    except AgreementError as error:
        problem = error.message.replace(f"{path}: ", "")
        return AgreementSummary(path.stem, "", "", "invalid", file=path.name, sha256=digest,
                                note=f"not valid: {problem}")  # fmt: skip
    return summarise(agreement, path, digest, day)


def agreement_register(
    config: HubConfig, day: datetime.date | None = None
) -> list[AgreementSummary]:
    """Every agreement file, summarised with its status on ``day`` (default today, UTC)."""
    day = day or datetime.datetime.now(datetime.UTC).date()
    return [summarise_agreement(path, day) for path in agreement_files(config)]
