"""The canonical records: one shape for every partner's rows, per record kind.

:class:`PersonRecord` is the contract between ingest and everything after it: one row per
person record, matched across partners. :class:`OffenceRecord` is a second kind, one row per
recorded offence (the police offences feed): it is staged like a person record but never matched;
it names the person record it belongs to (``nominal_id``, and the PNC ID). A feed says which
kind it carries (``format.record``). The Arrow schema of a kind's staging Parquet files is
derived from its model (:func:`arrow_schema`), so the two cannot drift.

Identifier fields come in pairs: ``pnc_id`` holds the value as the partner wrote it (for display)
and ``pnc_id_canonical`` the canonical form, present only when the value passed its check. Only
canonical identifiers are evidence for matching.
"""

from __future__ import annotations

import datetime
import enum
import types
from typing import Annotated, Any, Literal, Union, get_args, get_origin

import pyarrow as pa
from pydantic import BaseModel, ConfigDict, Field, model_validator

from schemas.identifiers import CANONICALISERS


class Sex(enum.StrEnum):
    """Recorded sex or gender, on the NHS data dictionary's four values."""

    MALE = "male"
    FEMALE = "female"
    NOT_KNOWN = "not_known"
    NOT_SPECIFIED = "not_specified"


Text = Annotated[str, Field(min_length=1)]

IDENTIFIER_FIELDS: tuple[str, ...] = ("pnc_id", "cro_number", "nhs_number", "crn", "nomis_number")
"""Identifier fields validated by check digit or pattern; each has a ``<name>_canonical`` twin."""


class PersonRecord(BaseModel):
    """One partner row in canonical form, with the partner attributes later views need."""

    model_config = ConfigDict(frozen=True, extra="forbid", use_enum_values=True)

    # Provenance
    source: Text = Field(description="Feed name the row came from, e.g. 'police'.")
    source_record_id: Text = Field(description="The partner's own record id (unique per file).")
    extract_id: Text = Field(description="The hub's id of the extract file the row came from.")
    row_number: int = Field(ge=1, description="1-based data row in the extract (header excluded).")

    # Identity
    forename: str | None = None
    middle_names: str | None = None
    surname: str | None = None
    date_of_birth: datetime.date | None = None
    sex: Sex | None = None
    address: str | None = None
    town: str | None = None
    postcode: str | None = Field(None, description="As written, trimmed.")
    postcode_canonical: str | None = Field(
        None, description="Normalised postcode; null when malformed or a placeholder (NF1 1NF)."
    )
    pnc_id: str | None = None
    pnc_id_canonical: str | None = None
    cro_number: str | None = None
    cro_number_canonical: str | None = None
    nhs_number: str | None = None
    nhs_number_canonical: str | None = None
    crn: str | None = None
    crn_canonical: str | None = None
    nomis_number: str | None = None
    nomis_number_canonical: str | None = None

    # Police
    offence_type: str | None = Field(None, description="Latest offence (Home Office description).")
    offence_date: datetime.date | None = None
    offence_count_12m: int | None = Field(None, ge=0)
    rfg_score: int | None = Field(None, description="Recency-frequency-gravity score.")
    da_flag: bool | None = Field(None, description="Domestic abuse perpetrator flag.")
    # Probation
    ogrs_score: int | None = Field(None, ge=0, le=99, description="OGRS, 0-99.")
    rosh_level: str | None = Field(None, description="Risk of serious harm level.")
    sentence_type: str | None = None
    sentence_end_date: datetime.date | None = None
    offender_manager: str | None = None
    offender_manager_team: str | None = None
    # Health (special category)
    health_service: str | None = None
    referral_date: datetime.date | None = None
    treatment_status: str | None = None
    primary_substance: str | None = None
    # Housing
    accommodation_status: str | None = None
    housing_provider: str | None = None
    tenancy_start_date: datetime.date | None = None

    warnings: list[str] = Field(
        default_factory=list,
        description="Problems that did not reject the row, e.g. 'pnc_id: fails its check'.",
    )

    @model_validator(mode="after")
    def _canonical_identifiers_are_valid(self) -> PersonRecord:
        for name in (*IDENTIFIER_FIELDS, "postcode"):
            canonical = getattr(self, f"{name}_canonical")
            if canonical is not None and CANONICALISERS[name](canonical) != canonical:
                raise ValueError(f"{name}_canonical is not a valid canonical {name}")
        return self


class OffenceRecord(BaseModel):
    """One recorded offence in which a police nominal is the suspect or offender.

    Not a person: it is linked to a person through the nominal's record id (``nominal_id``, the
    ``source_record_id`` of the nominal in the police feed) or, failing that, the PNC ID.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", use_enum_values=True)

    source: Text = Field(description="Feed name the row came from, e.g. 'police_offences'.")
    source_record_id: Text = Field(description="The crime reference (unique per file).")
    extract_id: Text = Field(description="The hub's id of the extract file the row came from.")
    row_number: int = Field(ge=1, description="1-based data row in the extract (header excluded).")

    nominal_id: str | None = Field(None, description="The nominal's record id in the police feed.")
    pnc_id: str | None = None
    pnc_id_canonical: str | None = None
    offence_date: datetime.date | None = None
    offence_type: str | None = Field(None, description="Home Office offence description.")
    outcome: str | None = Field(None, description="e.g. Charged, Cautioned, No further action.")

    warnings: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _canonical_pnc_is_valid(self) -> OffenceRecord:
        canonical = self.pnc_id_canonical
        if canonical is not None and CANONICALISERS["pnc_id"](canonical) != canonical:
            raise ValueError("pnc_id_canonical is not a valid canonical pnc_id")
        return self


RecordKind = Literal["person", "offence"]
RECORD_MODELS: dict[str, type[BaseModel]] = {"person": PersonRecord, "offence": OffenceRecord}
"""Each record kind a feed may carry, with its model."""

PROVENANCE_FIELDS: tuple[str, ...] = ("source", "source_record_id", "extract_id", "row_number")
DERIVED_FIELDS: tuple[str, ...] = (
    *(f"{name}_canonical" for name in (*IDENTIFIER_FIELDS, "postcode")),
    "warnings",
)


def mappable_fields(kind: RecordKind = "person") -> tuple[str, ...]:
    """Canonical fields of a record kind that a feed may map a partner column onto."""
    return (
        *(
            name
            for name in RECORD_MODELS[kind].model_fields
            if name not in PROVENANCE_FIELDS and name not in DERIVED_FIELDS
        ),
        "source_record_id",
    )


MAPPABLE_FIELDS: tuple[str, ...] = mappable_fields("person")
"""Canonical fields a person feed may map a partner column onto."""

_ARROW_TYPES: dict[Any, pa.DataType] = {
    str: pa.string(),
    int: pa.int64(),
    bool: pa.bool_(),
    datetime.date: pa.date32(),
    Sex: pa.string(),
}


def _arrow_type(annotation: Any) -> tuple[pa.DataType, bool]:
    origin = get_origin(annotation)
    if origin is Annotated:
        return _arrow_type(get_args(annotation)[0])
    if origin in (Union, types.UnionType):
        inner = [a for a in get_args(annotation) if a is not type(None)]
        return _arrow_type(inner[0])[0], True
    if origin is list:
        return pa.list_(_arrow_type(get_args(annotation)[0])[0]), False
    return _ARROW_TYPES[annotation], False


def field_types(record: RecordKind = "person") -> dict[str, str]:
    """Canonical field name -> kind ('text', 'integer', 'boolean', 'date', 'sex', 'list')."""
    kinds: dict[str, str] = {}
    for name, info in RECORD_MODELS[record].model_fields.items():
        arrow_type, _ = _arrow_type(info.annotation)
        if name == "sex":
            kinds[name] = "sex"
        elif pa.types.is_date(arrow_type):
            kinds[name] = "date"
        elif pa.types.is_integer(arrow_type):
            kinds[name] = "integer"
        elif pa.types.is_boolean(arrow_type):
            kinds[name] = "boolean"
        elif pa.types.is_list(arrow_type):
            kinds[name] = "list"
        else:
            kinds[name] = "text"
    return kinds


DISTINCT_PER_ROW_FIELDS: frozenset[str] = frozenset(
    {"source_record_id", "row_number", "address", "postcode", "postcode_canonical",
     *IDENTIFIER_FIELDS, *(f"{name}_canonical" for name in IDENTIFIER_FIELDS)}
)  # fmt: skip
"""Fields whose values are (nearly) all different: a Parquet dictionary or statistics only cost."""


def arrow_schema(record: RecordKind = "person") -> pa.Schema:
    """The Arrow schema of a record kind's staging Parquet files, derived from its model."""
    fields = []
    for name, info in RECORD_MODELS[record].model_fields.items():
        arrow_type, nullable = _arrow_type(info.annotation)
        fields.append(pa.field(name, arrow_type, nullable=nullable or not info.is_required()))
    return pa.schema(fields)


QUARANTINE_SCHEMA = pa.schema(
    [
        pa.field("source", pa.string(), nullable=False),
        pa.field("extract_id", pa.string(), nullable=False),
        pa.field("row_number", pa.int64(), nullable=False),
        pa.field("column", pa.string()),
        pa.field("reason", pa.string(), nullable=False),
        pa.field("raw_record", pa.string()),
    ]
)
"""Rejected rows: one row per problem, with the partner's raw values as JSON."""
