"""Hand-made canonical records for the matching tests: twins, a father and son, duplicates."""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from schemas.canonical import PersonRecord, arrow_schema
from schemas.identifiers import CANONICALISERS

_row_numbers: dict[str, int] = {}


def record(source: str, record_id: str, **fields: Any) -> dict[str, Any]:
    """One canonical record; identifier and postcode canonical forms are derived."""
    for name, canonicalise in CANONICALISERS.items():
        if fields.get(name) is not None:
            fields[f"{name}_canonical"] = canonicalise(fields[name])
    _row_numbers[source] = _row_numbers.get(source, 0) + 1
    row = PersonRecord(source=source, source_record_id=record_id,
                       extract_id=fields.pop("extract_id", f"{source}-handmade"),
                       row_number=_row_numbers[source], **fields)  # fmt: skip
    return row.model_dump()


def write_records(path: Path, rows: list[dict[str, Any]]) -> Path:
    """Write canonical rows as a staging Parquet file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.Table.from_pylist(rows, schema=arrow_schema()), path)
    return path


D = datetime.date

TWINS = [
    # Jack and Harry Holloway: twins at one address, no PNC on the police records.
    record(
        "police",
        "TW-P1",
        forename="JACK",
        surname="HOLLOWAY",
        date_of_birth=D(1999, 4, 17),
        sex="male",
        address="7 Quarry Lane",
        town="Redruth",
        postcode="TR15 2QX",
    ),
    record(
        "police",
        "TW-P2",
        forename="HARRY",
        surname="HOLLOWAY",
        date_of_birth=D(1999, 4, 17),
        sex="male",
        address="7 Quarry Lane",
        town="Redruth",
        postcode="TR15 2QX",
    ),
    record(
        "housing",
        "TW-H1",
        forename="Jack",
        surname="Holloway",
        date_of_birth=D(1999, 4, 17),
        address="7 Quarry Lane, Redruth",
        postcode="TR152QX",
    ),
    record(
        "housing",
        "TW-H2",
        forename="Harry",
        surname="Holloway",
        date_of_birth=D(1999, 4, 17),
        address="7 Quarry Lane, Redruth",
        postcode="TR15 2QX",
    ),
    record(
        "health",
        "TW-D1",
        forename="Jack",
        surname="Holloway",
        date_of_birth=D(1999, 4, 17),
        sex="male",
        postcode="TR15 2QX",
        nhs_number="943 476 5919",
    ),
]
FATHER_AND_SON = [
    # Paul Tregenza senior and junior at one address; a housing record with no date of birth.
    record(
        "police",
        "FS-P1",
        forename="PAUL",
        surname="TREGENZA",
        date_of_birth=D(1968, 2, 3),
        sex="male",
        address="3 Mill Road",
        town="Hayle",
        postcode="TR27 6XY",
    ),
    record(
        "probation",
        "FS-R1",
        forename="Paul",
        surname="Tregenza",
        date_of_birth=D(1996, 8, 21),
        sex="male",
        address="3 Mill Road, Hayle",
        postcode="TR27 6XY",
        crn="X123456",
    ),
    record(
        "police",
        "FS-P2",
        forename="PAUL",
        surname="TREGENZA",
        date_of_birth=D(1996, 8, 21),
        sex="male",
        address="3 Mill Road",
        town="Hayle",
        postcode="TR27 6XY",
    ),
    record(
        "housing",
        "FS-H1",
        forename="Paul",
        surname="Tregenza",
        address="3 Mill Road, Hayle",
        postcode="TR27 6XY",
    ),
]
DUPLICATES = [
    # William Penhaligon as Bill, swapped, with a 01/01 year-only date of birth, an invalid PNC.
    record(
        "police",
        "DU-P1",
        forename="WILLIAM",
        surname="PENHALIGON",
        middle_names="JAMES",
        date_of_birth=D(1982, 11, 5),
        sex="male",
        postcode="PL4 8AA",
        pnc_id="2013/0686271U",
    ),
    record(
        "probation",
        "DU-R1",
        forename="Bill",
        surname="Penhaligon",
        date_of_birth=D(1982, 11, 5),
        sex="male",
        postcode="PL4 8AA",
        pnc_id="13/686271U",
        crn="X654321",
    ),
    record(
        "housing",
        "DU-H1",
        forename="Penhaligon",
        surname="William",
        date_of_birth=D(1982, 11, 5),
        postcode="PL4 8AA",
    ),
    record(
        "health",
        "DU-D1",
        forename="Billy",
        surname="Penhaligon",
        date_of_birth=D(1982, 1, 1),
        sex="male",
        postcode="PL4 8AA",
    ),
]

HARD_CASES = TWINS + FATHER_AND_SON + DUPLICATES
"""Records the matching must get right: twins, a father and son, one person four ways."""
