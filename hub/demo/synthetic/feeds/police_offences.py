"""The police offences extract (``police_offences``): one row per offence of each nominal.

Drawn from a police nominals extract already written, so every offence names a nominal of that
file (its ``NominalID`` and ``PNCID`` as the nominal carries them) and agrees with it: the
nominal's last offence is one of its rows, its ``OffenceCount12m`` offences fall in the last 12
months, and older offences go back 36 months. Seeded: the same nominals and seed give the same
file. A few rows carry the faults real extracts do: a blank or impossible offence date.
"""

from __future__ import annotations

import datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pv

from hub.demo.synthetic.arrays import (
    Draws,
    affine_permutation,
    arange,
    cat,
    format_days,
    pad,
    to_int,
    where,
)
from hub.demo.synthetic.batch import vocabulary
from hub.demo.synthetic.feeds.police import OFFENCES
from hub.demo.synthetic.population import REFERENCE_DAYS
from hub.demo.synthetic.writer import DelimitedWriter

FILE_NAME = "police_offences_{date}.csv"
COLUMNS = ("OffenceRef", "NominalID", "PNCID", "OffenceDate", "OffenceType", "Outcome")
OUTCOMES = {"Charged": 45, "Cautioned": 12, "Under investigation": 18, "No further action": 20,
            "Community resolution": 5}  # fmt: skip
WINDOW_DAYS = 3 * 365
"""How far back the extract goes (a rolling 36 months)."""
MOST_RECENT = 12
"""The most offences of one nominal in the last 12 months written out."""
MOST_OLDER = 3
"""The most offences of one nominal 12 to 36 months back."""
SAME_TYPE = 0.6
"""Share of a nominal's other offences of the same type as their last (offenders specialise)."""
BAD_DATE = 0.003
"""Share of rows with a blank or impossible offence date."""
_NOMINAL_COLUMNS = ("NominalID", "PNCID", "LastOffenceDate", "LastOffenceType", "OffenceCount12m")
_TYPE_NAMES, _TYPE_TABLE = vocabulary({name: weight for name, (weight, _) in OFFENCES.items()})
_OUTCOME_NAMES, _OUTCOME_TABLE = vocabulary(OUTCOMES)


def write_police_offences(
    nominals: Path, *, seed: int = 7, extract_date: datetime.date = datetime.date(2026, 11, 22)
) -> tuple[Path, int]:
    """Write ``police_offences_<date>.csv`` beside the nominals file; return it and its rows."""
    table = pv.read_csv(
        nominals,
        convert_options=pv.ConvertOptions(
            column_types=dict.fromkeys(_NOMINAL_COLUMNS, pa.string()),
            include_columns=list(_NOMINAL_COLUMNS),
            strings_can_be_null=True,
        ),
    )
    table = table.filter(pc.is_valid(table["NominalID"]))
    nominal = {name: table[name].combine_chunks() for name in _NOMINAL_COLUMNS}
    per_nominal = Draws(len(table), seed, "police_offences", "nominal")
    recent = pc.min_element_wise(pc.max_element_wise(_whole(nominal["OffenceCount12m"]), 1),
                                 MOST_RECENT)  # fmt: skip
    older = per_nominal.integers("older", 0, MOST_OLDER + 1)
    counts = pc.add(recent, older)
    ends = pc.cumulative_sum(counts)
    rows = ends[-1].as_py() if len(ends) else 0
    offsets = pa.concat_arrays([pa.array([0], pa.int64()), ends])
    owner = pc.cast(  # the nominal of each offence row
        pc.list_parent_indices(pa.ListArray.from_arrays(offsets, arange(rows))), pa.int64()
    )
    first = pc.subtract(ends, counts)
    position = pc.subtract(arange(rows), first.take(owner))
    is_last = pc.equal(position, 0)
    is_recent = pc.less(position, recent.take(owner))
    d = Draws(rows, seed, "police_offences", "offence")
    back = pc.if_else(
        is_recent, d.integers("when", 0, 365), d.integers("when.older", 365, WINDOW_DAYS)
    )
    days = pc.subtract(REFERENCE_DAYS, back)
    last_days = _days(nominal["LastOffenceDate"]).take(owner)
    days = where(pc.and_(is_last, pc.is_valid(last_days)), last_days, days)
    last_type = nominal["LastOffenceType"].take(owner)
    same = pc.and_(pc.or_(is_last, d.chance("same", SAME_TYPE)), pc.is_valid(last_type))
    types = where(same, last_type, _TYPE_NAMES.take(d.pick("type", _TYPE_TABLE)))
    dates = format_days(days, "dmy")
    fault = d.chance("fault", BAD_DATE)
    bad = pc.if_else(
        d.chance("fault.kind", 0.5), pa.scalar("31/02/2026"), pa.scalar(None, pa.string())
    )
    dates = where(fault, bad, dates)
    digits = max(7, len(str(rows)))  # 7 digits up to 9,999,999 offences, more beyond
    serial = affine_permutation(arange(rows), 10**digits, seed, "police_offences")
    references = cat(f"CR{extract_date.year}/", pad(serial, digits))
    path = nominals.with_name(FILE_NAME.format(date=extract_date.strftime("%Y%m%d")))
    writer = DelimitedWriter(path, COLUMNS, ",", "utf-8")
    try:
        outcomes = _OUTCOME_NAMES.take(d.pick("outcome", _OUTCOME_TABLE))
        writer.write([references, nominal["NominalID"].take(owner), nominal["PNCID"].take(owner),
                      dates, types, outcomes])  # fmt: skip
    except BaseException:
        writer.abort()
        raise
    writer.close()
    return path, rows


def with_police_offences(
    files: dict[str, Path], records: dict[str, int], *, seed: int = 7
) -> tuple[dict[str, Path], dict[str, int]]:
    """The partners' files and record counts, plus the police offences extract written beside
    the police nominals (when they were generated)."""
    files, records = dict(files), dict(records)
    if "police" in files:
        files["police_offences"], records["police_offences"] = write_police_offences(
            files["police"], seed=seed
        )
    return files, records


def _days(dates: pa.Array) -> pa.Int64Array:
    """``dd/mm/yyyy`` as days since 1970-01-01 (null when blank or unreadable)."""
    parsed = pc.strptime(dates, format="%d/%m/%Y", unit="s", error_is_null=True)
    return pc.cast(pc.cast(pc.cast(parsed, pa.date32()), pa.int32()), pa.int64())


def _whole(values: pa.Array) -> pa.Int64Array:
    """Whole numbers (null when blank or not a number)."""
    digits = pc.if_else(pc.utf8_is_digit(values), values, pa.scalar(None, pa.string()))
    return to_int(pc.cast(digits, pa.float64()))
