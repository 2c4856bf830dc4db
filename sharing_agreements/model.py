"""A sharing agreement as data: who provides, who receives, why, under which law, what, how.

An agreement is written as a YAML file by a data officer (see ``docs/sharing.md``) and validated
here. Everything that can be checked inside one agreement is checked by the model: dates in
order, known fields, treatments that fit the field, every providing feed covered by a lawful
basis (with Art. 9 for health data and Art. 10 for offence data under UK GDPR; section and
schedule under DPA 2018 Part 3). Checks across agreements and against the hub's configuration
live in :mod:`sharing_agreements.load`.
"""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from sharing_agreements.cohort import CohortScope, Strand
from sharing_agreements.treatments import Treatment, parse_treatment
from sharing_agreements.view import (
    DERIVED_FIELDS,
    FIELD_KINDS,
    OFFENCE_FIELDS,
    SHAREABLE_FIELDS,
    SPECIAL_CATEGORY_FIELDS,
)

FEED_NAME = r"^[a-z][a-z0-9_]{0,39}$"
RECIPIENT_NAME = r"^[a-z][a-z0-9_]{0,39}$"
Name = Annotated[str, Field(pattern=FEED_NAME)]
Text = Annotated[str, Field(min_length=1)]
DpiaReference = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9 ./:_-]{1,79}$")]
"""A DPIA's reference as the organisation files it, e.g. ``DPIA-2025-014``."""


class FieldClause(BaseModel):
    """What the agreement says about one field."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    treatment: Treatment = Field(
        description="What happens to the values; the treatment's options (e.g. `to`) sit beside "
        "it in the clause."
    )
    from_: list[Name] | None = Field(
        None, alias="from", description="Providing feeds this clause covers (default: all)."
    )
    where: dict[str, list[str]] = Field(
        default_factory=dict,
        description="Values flow only for people whose field is one of the listed values.",
    )
    clause: str | None = Field(None, description="Reference to the clause in the signed text.")

    @model_validator(mode="before")
    @classmethod
    def _gather_treatment_options(cls, value: object) -> object:
        """``{treatment: generalise, to: year, from: [...]}``: every key that is not the
        clause's own is an option of the treatment."""
        if not isinstance(value, dict) or not isinstance(value.get("treatment"), str):
            return value
        own = {key for name, info in cls.model_fields.items() for key in (name, info.alias) if key}
        options = {key: item for key, item in value.items() if key not in own}
        clause = {key: item for key, item in value.items() if key in own}
        return {**clause, "treatment": (value["treatment"], options)}

    @field_validator("treatment", mode="before")
    @classmethod
    def _known_treatment(cls, value: object) -> object:
        if isinstance(value, Treatment):
            return value
        return parse_treatment(*value) if isinstance(value, tuple) else parse_treatment(value, {})


class Party(BaseModel):
    """An organisation that signed the agreement."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: Text
    role: Literal["provider", "recipient", "provider and recipient"]


class Contact(BaseModel):
    """Someone to ask about the agreement (a role mailbox is best)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    role: Text
    name: Text
    email: str = Field(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class LawfulBasis(BaseModel):
    """The law a providing feed's data is shared under.

    UK GDPR: ``article_6`` (e.g. ``6(1)(e)``), plus ``article_9`` (e.g. ``9(2)(h)``) for health
    data and ``article_10`` (the DPA 2018 Schedule 1 condition) for offence data.
    DPA 2018 Part 3 (law enforcement): ``section`` (e.g. ``35(2)(b)``) and ``schedule``
    (e.g. ``Schedule 8, paragraph 1``).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    regime: Literal["uk_gdpr", "dpa2018_part3"]
    feeds: list[Name] | None = Field(None, description="Feeds this basis covers (default: all).")
    article_6: str | None = Field(None, pattern=r"^6\(1\)\([a-f]\)")
    article_9: str | None = Field(None, pattern=r"^9\(2\)\([a-j]\)")
    article_10: str | None = Field(None, min_length=1)
    section: str | None = Field(None, pattern=r"^\d{1,3}(\(\d+\))*(\([a-z]\))?")
    schedule: str | None = Field(None, min_length=1)

    @model_validator(mode="after")
    def _complete_for_its_regime(self) -> LawfulBasis:
        if self.regime == "uk_gdpr":
            if not self.article_6:
                raise ValueError("a UK GDPR basis needs article_6, e.g. '6(1)(e)'")
            if self.section or self.schedule:
                raise ValueError("section and schedule belong to a dpa2018_part3 basis")
        else:
            if not (self.section and self.schedule):
                raise ValueError(
                    "a DPA 2018 Part 3 basis needs section (e.g. '35(2)(b)') and schedule "
                    "(e.g. 'Schedule 8, paragraph 1')"
                )
            if self.article_6 or self.article_9 or self.article_10:
                raise ValueError("articles belong to a uk_gdpr basis")
        return self

    def covers(self, feed: str) -> bool:
        """Whether this basis applies to ``feed``."""
        return self.feeds is None or feed in self.feeds


class Subjects(BaseModel):
    """Whose data the agreement covers (every condition given must hold)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    known_to: list[Name] | None = Field(
        None, min_length=1, description="Only people with a record in at least one of these feeds."
    )
    # --- the IOM cohort (sharing_agreements.cohort) ---
    cohort: list[Strand] | None = Field(
        None,
        min_length=1,
        description="Only people in these strands of the IOM cohort on the day of the release "
        "(agreed at the panel by police and probation).",
    )
    include_candidates: bool = Field(
        False,
        description="With cohort: also the people the cohort rules last put forward in those "
        "strands, before the panel decides.",
    )

    @model_validator(mode="after")
    def _says_whose(self) -> Subjects:
        if self.known_to is None and self.cohort is None:
            raise ValueError("subjects: give known_to, cohort or both")
        if self.include_candidates and self.cohort is None:
            raise ValueError("subjects: include_candidates needs cohort")
        if self.cohort is not None and len(set(self.cohort)) != len(self.cohort):
            raise ValueError("subjects.cohort: a strand is listed twice")
        return self

    @property
    def cohort_scope(self) -> CohortScope | None:
        """The cohort condition, if any."""
        if self.cohort is None:
            return None
        return CohortScope(tuple(sorted(self.cohort)), self.include_candidates)

    def describe(self) -> list[str]:
        """The conditions in words."""
        words = [f"only people known to {' or '.join(self.known_to)}"] if self.known_to else []
        if scope := self.cohort_scope:
            words.append(f"only {scope}")
        return words


def _shorthand(value: object) -> object:
    """``forename: keep`` means ``forename: {treatment: keep}``."""
    return {"treatment": value} if isinstance(value, str) else value


class Agreement(BaseModel):
    """One information sharing agreement (one YAML file)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{1,63}$")
    title: Text
    version: str = Field(pattern=r"^\d+(\.\d+){0,2}$")
    parties: list[Party] = Field(min_length=2)
    providers: list[Name] = Field(min_length=1, description="Feeds whose data may flow.")
    recipients: list[Annotated[str, Field(pattern=RECIPIENT_NAME)]] = Field(min_length=1)
    purpose: str = Field(min_length=10)
    lawful_basis: list[LawfulBasis] = Field(min_length=1)
    start_date: datetime.date
    review_date: datetime.date
    expiry_date: datetime.date
    retention_days: int = Field(gt=0, le=36500, description="How long a recipient may keep it.")
    contacts: list[Contact] = Field(min_length=1)
    subjects: Subjects | None = None
    where: dict[str, list[str]] = Field(
        default_factory=dict, description="Conditions on every field of the agreement."
    )
    suspended: bool = Field(False, description="Set while the agreement is paused.")
    dpia_reference: DpiaReference | None = Field(
        None,
        description="The reference of the data protection impact assessment covering the "
        "sharing, e.g. 'DPIA-2025-014' (letters, digits, spaces and . / : _ -).",
    )
    fields: dict[str, FieldClause] = Field(min_length=1)
    source_file: Path | None = Field(None, exclude=True, description="Set by the loader.")

    @field_validator("fields", mode="before")
    @classmethod
    def _expand_shorthand(cls, value: object) -> object:
        if isinstance(value, dict):
            return {key: _shorthand(item) for key, item in value.items()}
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Agreement:
        problems: list[str] = []
        if not self.start_date <= self.review_date <= self.expiry_date:
            problems.append("dates out of order: need start_date <= review_date <= expiry_date")
        if self.start_date >= self.expiry_date:
            problems.append("expiry_date must be after start_date")
        roles = {party.role for party in self.parties}
        if not roles & {"provider", "provider and recipient"}:
            problems.append("parties: no providing party")
        if not roles & {"recipient", "provider and recipient"}:
            problems.append("parties: no receiving party")
        for label, names in (("providers", self.providers), ("recipients", self.recipients)):
            if len(set(names)) != len(names):
                problems.append(f"{label}: a name is listed twice")
        problems += self._field_problems()
        problems += self._basis_problems()
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def _field_problems(self) -> list[str]:
        problems = [
            f"where: unknown field {name!r}" for name in self.where if name not in FIELD_KINDS
        ]
        for name, clause in self.fields.items():
            if name not in FIELD_KINDS and name not in DERIVED_FIELDS:
                problems.append(
                    f"fields.{name}: not a field of the unified view "
                    f"(known: {', '.join(SHAREABLE_FIELDS)})"
                )
                continue
            if name in DERIVED_FIELDS and clause.treatment.name not in ("keep", "drop"):
                problems.append(f"fields.{name}: a derived field can only be kept (or dropped)")
                continue
            if problem := clause.treatment.problem(name):
                problems.append(f"fields.{name}: {problem}")
            unknown = sorted(set(clause.from_ or []) - set(self.providers))
            if unknown:
                problems.append(f"fields.{name}.from: {', '.join(unknown)} not among providers")
            problems += [
                f"fields.{name}.where: unknown field {other!r}"
                for other in clause.where
                if other not in FIELD_KINDS
            ]
        return problems

    @property
    def shares_special_category(self) -> bool:
        """Whether any field it releases is health (special category) data."""
        return any(clause.treatment.releases and name in SPECIAL_CATEGORY_FIELDS
                   for name, clause in self.fields.items())  # fmt: skip

    def _basis_problems(self) -> list[str]:
        problems = []
        for basis in self.lawful_basis:
            unknown = sorted(set(basis.feeds or []) - set(self.providers))
            if unknown:
                problems.append(f"lawful_basis: {', '.join(unknown)} not among providers")
        for feed in self.providers:
            bases = [basis for basis in self.lawful_basis if basis.covers(feed)]
            if not bases:
                problems.append(f"lawful_basis: nothing covers feed {feed!r}")
                continue
            shared = set(self.fields_from(feed))
            for basis in bases:
                if basis.regime != "uk_gdpr":
                    continue
                if shared & SPECIAL_CATEGORY_FIELDS and not basis.article_9:
                    problems.append(
                        f"lawful_basis: health data from {feed!r} under UK GDPR needs article_9"
                    )
                if shared & OFFENCE_FIELDS and not basis.article_10:
                    problems.append(
                        f"lawful_basis: offence data from {feed!r} under UK GDPR "
                        "needs article_10 (the DPA 2018 Schedule 1 condition)"
                    )
        return problems

    # --- questions the policy asks ------------------------------------------------------------

    def fields_from(self, feed: str) -> list[str]:
        """Fields this agreement lets flow (not dropped) from ``feed``."""
        return [
            name
            for name, clause in self.fields.items()
            if feed in self.providers
            and (clause.from_ is None or feed in clause.from_)
            and clause.treatment.releases
        ]

    def clause_sources(self, field: str) -> list[str]:
        """Providing feeds the agreement's clause for ``field`` covers (empty if not named)."""
        clause = self.fields.get(field)
        if clause is None:
            return []
        return [feed for feed in self.providers if clause.from_ is None or feed in clause.from_]

    def in_force(self, today: datetime.date) -> bool:
        """Whether data may flow under the agreement on ``today``."""
        return not self.suspended and self.start_date <= today <= self.expiry_date

    def state(self, today: datetime.date) -> str:
        """'in force', 'suspended', 'expired on ...' or 'not in force until ...'."""
        if self.suspended:
            return "suspended"
        if today > self.expiry_date:
            return f"expired on {self.expiry_date.isoformat()}"
        if today < self.start_date:
            return f"not in force until {self.start_date.isoformat()}"
        return "in force"

    def overlaps(self, other: Agreement) -> bool:
        """Whether the two agreements' periods share a day."""
        return self.start_date <= other.expiry_date and other.start_date <= self.expiry_date

    @property
    def label(self) -> str:
        """``id vN``, as clauses are cited."""
        return f"{self.id} v{self.version}"
