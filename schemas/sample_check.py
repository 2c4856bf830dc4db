"""A sample of a partner's file read through its feed mapping, before a run relies on it.

``config check`` uses this on the current extract of each feed: the first rows are ingested for
real (the same code as a run, into a throwaway folder) and two silent failures are looked for:

- a mapping that rejects most rows (a partner changed its date format, or the feed's is wrong);
- a date format that reads no day above 12 across many dates: day and month are probably
  swapped, and every date read is wrong without a single row rejected.

Findings name the file, the field and counts; never a value.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

import pyarrow.compute as pc
import pyarrow.parquet as pq

from schemas.canonical import field_types
from schemas.feed import FeedFormat
from schemas.ingest import ingest_file

SAMPLE_ROWS = 5_000
"""How many data rows of the file are read (the whole file when it is shorter)."""
MIN_DATES_FOR_SWAP = 30
"""Fewer distinct dates than this can all fall on days up to 12 by chance (1 in 10^8 at 30)."""
MOST_ROWS = 0.5


@dataclass(frozen=True)
class SampleFinding:
    """One thing the sample showed that a run would not say."""

    field: str
    message: str


@dataclass(frozen=True)
class SampleCheck:
    """What reading the sample through the mapping gave."""

    path: Path
    rows_read: int
    rows_rejected: int
    findings: tuple[SampleFinding, ...]


def _write_head(path: Path, out: Path, rows: int) -> None:
    """The header and the first ``rows`` records of ``path``, cut only between records.

    A quoted field may hold a newline, so a line ends a record only where the quotes seen so far
    are balanced (the encodings partners use write ``"`` as one byte).
    """
    records, quotes = -1, 0
    with path.open("rb") as source, out.open("wb") as sample:
        for line in source:
            sample.write(line)
            quotes += line.count(b'"')
            if quotes % 2 == 0:
                records += 1
                if records >= rows:
                    break


def check_sample(path: Path, fmt: FeedFormat, *, feed: str, rows: int = SAMPLE_ROWS) -> SampleCheck:
    """Ingest the first ``rows`` records of ``path`` with ``fmt`` and report what looks wrong."""
    with tempfile.TemporaryDirectory(prefix="iomhub-sample-") as folder:
        work = Path(folder)
        sample = work / path.name
        _write_head(path, sample, rows)
        result = ingest_file(
            sample, fmt, feed=feed, extract_id="sample",
            staging_path=work / "staging.parquet", quarantine_path=work / "quarantine.parquet",
        )  # fmt: skip
        dates = [name for name, kind in field_types(fmt.record).items() if kind == "date"]
        mapped_dates = [name for name in fmt.mappings if name in dates]
        staged = pq.read_table(work / "staging.parquet", columns=mapped_dates)
    findings: list[SampleFinding] = []
    if result.rows_read and result.rows_rejected > MOST_ROWS * result.rows_read:
        reasons = ", ".join(f"{reason} ({count:,})" for reason, count in
                            result.rejections.most_common(3))  # fmt: skip
        findings.append(SampleFinding(
            "*", f"{result.rows_rejected:,} of the first {result.rows_read:,} rows would be "
            f"quarantined: {reasons}",
        ))  # fmt: skip
    for name in mapped_dates:
        distinct = pc.unique(staged.column(name).drop_null())
        if len(distinct) >= MIN_DATES_FOR_SWAP and pc.max(pc.day(distinct)).as_py() <= 12:
            formats = " or ".join(fmt.mappings[name].date_formats)
            findings.append(SampleFinding(
                name, f"no day above 12 in {len(distinct):,} distinct dates read with {formats!r}: "
                "are day and month swapped?",
            ))  # fmt: skip
    return SampleCheck(path, result.rows_read, result.rows_rejected, tuple(findings))
