"""A first ``format:`` for a new feed, guessed from a partner's sample file.

``iomhub feed init --sample FILE`` starts here: the encoding and delimiter are read off the file,
each column whose name matches a canonical field (or a name partners commonly use for one) is
mapped, date formats are tried on the sample's values and the one reading most of them kept
(day first when both read all), code lists for sex and flags are taken from the values seen,
and the result is read back through :func:`schemas.sample_check.check_sample`. What could not be
settled is said in ``notes``; the data officer edits the file from there.

Notes name columns and formats, never a value.
"""

from __future__ import annotations

import codecs
import csv
import datetime
import io
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from schemas.canonical import MAPPABLE_FIELDS, Sex, field_types
from schemas.errors import FeedFormatError
from schemas.feed import FeedFormat
from schemas.sample_check import check_sample

HEAD_BYTES = 256 * 1024
"""How much of the file is read for guessing (the whole file when shorter)."""
DELIMITERS = ",|\t;"
DATE_FORMATS = (
    "%d/%m/%Y", "%Y-%m-%d", "%Y%m%d", "%d-%b-%Y", "%d-%m-%Y", "%d.%m.%Y", "%d %b %Y",
    "%d/%m/%y", "%Y/%m/%d", "%d-%B-%Y", "%d %B %Y", "%m/%d/%Y", "%m-%d-%Y",
)  # fmt: skip
"""Candidates, day-first before month-first: the first reading most values wins."""
SYNONYMS: dict[str, str] = {
    "id": "source_record_id", "ref": "source_record_id", "recordid": "source_record_id",
    "dob": "date_of_birth", "born": "date_of_birth", "birthdate": "date_of_birth",
    "firstname": "forename", "givenname": "forename", "forename1": "forename",
    "familyname": "surname", "lastname": "surname",
    "secondname": "middle_names", "middlename": "middle_names", "forename2": "middle_names",
    "gender": "sex", "pnc": "pnc_id", "pncnumber": "pnc_id", "pncno": "pnc_id",
    "cro": "cro_number", "crono": "cro_number", "nhsno": "nhs_number",
    "nomsnumber": "nomis_number", "nomsno": "nomis_number", "addressline1": "address",
    "lastoffencedate": "offence_date", "lastoffencetype": "offence_type",
    "team": "offender_manager_team", "service": "health_service",
    "provider": "housing_provider",
}  # fmt: skip
"""Partner column names (lower case, letters and digits only) -> canonical field."""
FULL_NAME_COLUMNS = ("name", "fullname")
_SEX_CODES = {"m": Sex.MALE, "male": Sex.MALE, "1": Sex.MALE, "f": Sex.FEMALE,
              "female": Sex.FEMALE, "2": Sex.FEMALE, "u": Sex.NOT_KNOWN, "0": Sex.NOT_KNOWN,
              "unknown": Sex.NOT_KNOWN, "notknown": Sex.NOT_KNOWN, "9": Sex.NOT_SPECIFIED,
              "notspecified": Sex.NOT_SPECIFIED}  # fmt: skip
_FLAG_CODES = {"y": True, "yes": True, "true": True, "1": True, "t": True,
               "n": False, "no": False, "false": False, "0": False, "f": False}  # fmt: skip


@dataclass(frozen=True)
class FormatDraft:
    """The guessed ``format:``, as the mapping to write, and what the officer should check."""

    format: dict[str, Any]
    """The ``format:`` section, valid for :class:`schemas.feed.FeedFormat`."""
    unmapped: tuple[str, ...]
    """Columns no canonical field was found for."""
    notes: tuple[str, ...]


def _key(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


def _encoding(head: bytes) -> str:
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
    except UnicodeDecodeError:
        return "cp1252"
    return "utf-8"


def _delimiter(text: str) -> str:
    header = text.splitlines()[0] if text else ""
    try:
        return csv.Sniffer().sniff(text[:20_000], delimiters=DELIMITERS).delimiter
    except csv.Error:
        return max(DELIMITERS, key=header.count)


def _date_format(values: list[str]) -> tuple[str | None, int]:
    """The candidate format reading most values, and how many it read."""
    best: tuple[str | None, int] = (None, 0)
    for candidate in DATE_FORMATS:
        read = 0
        for value in values:
            try:
                datetime.datetime.strptime(value, candidate)
                read += 1
            except ValueError:
                pass
        if read > best[1]:
            best = (candidate, read)
    return best


def _codes(values: Counter[str], known: dict[str, Any]) -> dict[str, Any] | None:
    """A code map for the values seen, when every one of them is a code known for the kind."""
    if not values or any(_key(value) not in known for value in values):
        return None
    if all(value.isdigit() for value in values):  # a numeric code list: all of it
        values = Counter(key for key in known if key.isdigit())
    return {value: known[_key(value)] for value in sorted(values)}


def _match(header: list[str]) -> tuple[dict[str, str], str | None]:
    """Canonical field -> column for every column whose name matches, and a full-name column."""
    canonical = {_key(name): name for name in MAPPABLE_FIELDS}
    fields: dict[str, str] = {}
    full_name = None
    for column in header:
        key = _key(column)
        name = canonical.get(key) or SYNONYMS.get(key)
        if name is None and key in FULL_NAME_COLUMNS:
            full_name = full_name or column
        elif name is not None and name not in fields:
            fields[name] = column
    return fields, full_name


def draft_format(path: Path) -> FormatDraft:
    """Guess a feed's ``format:`` from ``path`` (see the module docstring)."""
    with path.open("rb") as file:
        head = file.read(HEAD_BYTES)
    encoding = _encoding(head)
    text = head.decode(encoding, errors="ignore")
    if not text.strip():
        raise FeedFormatError(f"{path.name}: the sample file is empty", file=str(path))
    notes: list[str] = []
    if head.isascii():
        notes.append("encoding: the sample is plain ASCII, read as utf-8; if the partner's "
                     "system writes Windows-1252 (accents, £), set cp1252")  # fmt: skip
    delimiter = _delimiter(text)
    rows = list(csv.reader(io.StringIO(text), delimiter=delimiter))
    rows = rows[:-1] if len(rows) > 2 and not head.endswith(b"\n") else rows  # a cut last row
    header, data = rows[0], [row for row in rows[1:] if len(row) == len(rows[0])]
    matched, full_name = _match(header)
    if "source_record_id" not in matched:
        matched = {"source_record_id": header[0], **matched}
        notes.append(f"source_record_id: taken to be the first column {header[0]!r}; check it "
                     "is the partner's own record id")  # fmt: skip
    if full_name and {"forename", "surname"} & set(matched):
        full_name = None
    values = {column: Counter(row[header.index(column)].strip() for row in data
                              if row[header.index(column)].strip())
              for column in set(matched.values())}  # fmt: skip
    kinds = field_types()
    fields: dict[str, Any] = {}
    for name, column in matched.items():
        fields[name] = _mapping(name, column, kinds[name], values[column], notes)
    document: dict[str, Any] = {"encoding": encoding, "delimiter": delimiter}
    if full_name:
        document["full_name"] = {"column": full_name}
    document["fields"] = fields
    used = {*matched.values(), full_name}
    unmapped = tuple(column for column in header if column not in used)
    sample = check_sample(path, FeedFormat.model_validate(document), feed="draft")
    notes.extend(f"{finding.field}: {finding.message}" if finding.field != "*" else
                 finding.message for finding in sample.findings)  # fmt: skip
    return FormatDraft(document, unmapped, tuple(notes))


def _mapping(name: str, column: str, kind: str, seen: Counter[str], notes: list[str]) -> Any:
    """One field's mapping: the column alone, or with a date format or a code map."""
    if kind == "date":
        values = list(seen)
        found, read = _date_format(values)
        if found is None:
            notes.append(f"{name}: no known date format reads column {column!r}; set date_format")
            return {"column": column, "date_format": "%d/%m/%Y"}
        if read < len(values):
            notes.append(f"{name}: {found!r} reads {read:,} of {len(values):,} distinct values "
                         f"of column {column!r}")  # fmt: skip
        return {"column": column, "date_format": found}
    if kind in ("sex", "boolean"):
        codes = _codes(seen, _SEX_CODES if kind == "sex" else _FLAG_CODES)
        if codes is None:
            notes.append(f"{name}: column {column!r} holds codes not recognised; add codes:")
            return column
        return {"column": column, "codes": {k: str(v) if kind == "sex" else v
                                            for k, v in codes.items()}}  # fmt: skip
    return column
