"""How a partner's file maps onto the canonical record: the ``format:`` of a feed's YAML.

A data officer describes the file (encoding, delimiter) and, for each canonical field, the
partner column it comes from, with a date format or a code map where needed. Nothing here is
code a data officer writes; it is data this module validates.

Example::

    format:
      encoding: cp1252
      delimiter: ","
      fields:
        source_record_id: TenantRef
        date_of_birth: {column: DOB, date_format: "%d-%b-%Y"}
        sex: {column: Gender, codes: {"1": male, "2": female, "9": not_specified}}
      full_name: {column: Name}
"""

from __future__ import annotations

import codecs
import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from schemas.canonical import RecordKind, Sex, field_types, mappable_fields

OnInvalid = Literal["reject", "flag"]
CodeValue = str | bool | int

DATE_DIRECTIVES = "aAwdbBmyYHIpMSfzZjUWxX%"
"""The strptime directives a date format may use (read by DuckDB's ``strptime``)."""
_DIRECTIVE = re.compile(r"%(-?)(.?)")
_SPELLED = (("yyyy", "%Y"), ("yy", "%y"), ("mmm", "%b"), ("mon", "%b"), ("mm", "%m"), ("dd", "%d"))


def check_date_format(pattern: str) -> str:
    """``pattern`` if it is a strptime pattern with a year; ValueError saying what to write if not.

    ``dd/mm/yyyy`` (a spreadsheet's spelling) and unknown directives such as ``%Q`` would reject
    every row of an extract at ingest; they are refused when the configuration is read.
    """
    directives = [match.group(2) for match in _DIRECTIVE.finditer(pattern)]
    unknown = sorted({d for d in directives if d not in DATE_DIRECTIVES or not d})
    if unknown:
        shown = ", ".join(f"%{d}" if d else "a lone %" for d in unknown)
        raise ValueError(f"date_format {pattern!r}: {shown} is not a strptime directive")
    if not directives:
        suggestion = pattern.lower()
        for spelled, directive in _SPELLED:
            suggestion = suggestion.replace(spelled, directive)
        hint = f" (did you mean {suggestion!r}?)" if "%" in suggestion else ""
        raise ValueError(f"date_format {pattern!r} is not a strptime pattern{hint}")
    if not {"Y", "y"} & set(directives):
        raise ValueError(f"date_format {pattern!r} reads no year (%Y or %y)")
    return pattern


class ColumnMapping(BaseModel):
    """One canonical field taken from one partner column."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    column: str = Field(min_length=1, description="The partner's column name, as in the header.")
    date_format: str | list[str] | None = Field(
        None,
        description="strftime format(s) for date fields, e.g. '%d/%m/%Y'; tried in order.",
    )
    codes: dict[str, CodeValue] | None = Field(
        None, description="Partner code -> canonical value, e.g. {M: male, F: female}."
    )
    required: bool = Field(False, description="A blank value rejects the row.")
    on_invalid: OnInvalid = Field(
        "reject",
        description="A value that cannot be read (bad date, unknown code, not a number): "
        "'reject' quarantines the row, 'flag' keeps the row with the field empty and a warning. "
        "Identifiers failing their check are always kept and flagged, never rejected.",
    )

    @field_validator("date_format")
    @classmethod
    def _strptime_patterns(cls, value: str | list[str] | None) -> str | list[str] | None:
        for pattern in [value] if isinstance(value, str) else value or []:
            check_date_format(pattern)
        return value

    @property
    def date_formats(self) -> list[str]:
        """The date formats as a list."""
        if self.date_format is None:
            return []
        return [self.date_format] if isinstance(self.date_format, str) else self.date_format


class NameSplit(BaseModel):
    """A single name column split into forename, middle names and surname.

    ``SURNAME, Forename Middle`` (comma) and ``Forename Middle Surname`` are both understood.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    column: str = Field(min_length=1)


class FeedFormat(BaseModel):
    """The layout of a partner's extract and its mapping onto the canonical record."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    record: RecordKind = Field(
        "person",
        description="What one row is: 'person' (a person record, matched across partners) or "
        "'offence' (one recorded offence, linked to a police nominal, never matched).",
    )
    encoding: str = Field("utf-8", description="Python codec name: utf-8, utf-8-sig, cp1252, ...")
    delimiter: str = Field(",", min_length=1, max_length=1)
    quote_char: str = Field('"', min_length=1, max_length=1)
    allow_header_only: bool = Field(
        False,
        description="Accept a file with a header but no rows. Off by default: a full extract "
        "with no rows usually means a failed export, and would empty the feed.",
    )
    max_quarantine_rate: float = Field(
        0.05,
        ge=0,
        le=1,
        description="Largest share of an extract's rows that may be quarantined (0.05 = 5%). "
        "Beyond it the extract is held, not made current, until an officer accepts it: a "
        "changed date format or layout quarantines every row and would empty the feed.",
    )
    max_row_drop: float = Field(
        0.30,
        ge=0,
        le=1,
        description="Largest drop in accepted rows against the current extract (0.30 = 30%). "
        "Beyond it the extract is held, not made current, until an officer accepts it.",
    )
    max_field_length: int = Field(
        4000,
        ge=1,
        description="The most characters one value may have; a longer value (a document pasted "
        "into a field, a broken export) quarantines its row as 'field too long'.",
    )
    fields: dict[str, str | ColumnMapping] = Field(
        description="Canonical field -> partner column (a name, or a mapping with options)."
    )
    full_name: NameSplit | None = Field(
        None, description="Split one name column into forename, middle names and surname."
    )

    @field_validator("encoding")
    @classmethod
    def _known_encoding(cls, value: str) -> str:
        try:
            return codecs.lookup(value).name
        except LookupError as error:
            raise ValueError(f"unknown encoding {value!r}") from error

    @field_validator("fields")
    @classmethod
    def _known_fields(
        cls, value: dict[str, str | ColumnMapping], info: ValidationInfo
    ) -> dict[str, str | ColumnMapping]:
        known = mappable_fields(info.data.get("record", "person"))
        unknown = sorted(set(value) - set(known))
        if unknown:
            raise ValueError(
                f"unknown canonical field(s) {', '.join(unknown)}; "
                f"known: {', '.join(sorted(known))}"
            )
        if "source_record_id" not in value:
            raise ValueError("source_record_id must be mapped to the partner's record id column")
        return value

    @model_validator(mode="after")
    def _options_fit_types(self) -> FeedFormat:
        kinds = field_types(self.record)
        for name, mapping in self.mappings.items():
            kind = kinds[name]
            if mapping.date_format and kind != "date":
                raise ValueError(f"fields.{name}: date_format given but {name} is not a date")
            if kind == "date" and not mapping.date_formats:
                raise ValueError(f"fields.{name}: a date field needs date_format")
            if kind == "sex" and mapping.codes:
                bad = sorted(str(v) for v in mapping.codes.values() if v not in set(Sex))
                if bad:
                    raise ValueError(
                        f"fields.{name}: codes map to {', '.join(bad)}; allowed: {', '.join(Sex)}"
                    )
            if kind == "boolean" and mapping.codes:
                bad = sorted(str(v) for v in mapping.codes.values() if not isinstance(v, bool))
                if bad:
                    raise ValueError(f"fields.{name}: codes must map to true or false")
        if self.full_name and {"forename", "surname"} & set(self.fields):
            raise ValueError("map either full_name or forename/surname, not both")
        return self

    @property
    def mappings(self) -> dict[str, ColumnMapping]:
        """Every mapped field with its options (shorthand column names expanded)."""
        return {
            name: ColumnMapping(column=m) if isinstance(m, str) else m
            for name, m in self.fields.items()
        }

    @property
    def columns(self) -> list[str]:
        """Every partner column the mapping reads (all must be in the file's header)."""
        names = [m.column for m in self.mappings.values()]
        if self.full_name:
            names.append(self.full_name.column)
        return list(dict.fromkeys(names))
