"""Say a partner's faulty rows out loud: fields too long, control characters, conflicting ids.

These rows are quarantined, not lost, but each one is a record the IOM team will not see, so
the run says them as warnings (shown under ``--quiet`` too) with the data row and the column,
read back from the extract's quarantine file. Never a value: row, column and reason only.
"""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq

from hub.output import Reporter
from schemas.feed import FeedFormat
from schemas.field_checks import field_checks
from schemas.ingest import IngestResult
from schemas.repeated_ids import CONFLICT_REASON

ROWS_NAMED = 5
"""Rows named per reason; the count says how many there are in all."""


def fault_reasons(fmt: FeedFormat) -> set[str]:
    """The quarantine reasons that mark a partner's faulty row (not an ordinary bad value)."""
    return {f"{check.field}: {check.reason}" for check in field_checks(fmt)} | {CONFLICT_REASON}


def say_faults(
    reporter: Reporter, label: str, fmt: FeedFormat, result: IngestResult, quarantine: Path
) -> None:
    """Warn of each fault the extract had, naming its first rows and their columns."""
    if result.duplicate_record_ids:
        reporter.warning(
            f"{label}: {result.duplicate_record_ids:,} row(s) repeat an earlier row's record id; "
            f"{result.conflicting_record_ids:,} id(s) repeated with different content had every "
            "copy quarantined, identical copies were kept"
        )
    found = {reason: count for reason, count in result.rejections.items()
             if reason in fault_reasons(fmt)}  # fmt: skip
    if not found:
        return
    rows = pq.read_table(
        quarantine, columns=["row_number", "column", "reason"],
        filters=[("reason", "in", sorted(found))],
    ).to_pylist()  # fmt: skip
    for reason, count in sorted(found.items()):
        named = [f"data row {r['row_number']} column {r['column']}" for r in rows
                 if r["reason"] == reason][:ROWS_NAMED]  # fmt: skip
        more = f" and {count - len(named):,} more" if count > len(named) else ""
        reporter.warning(
            f"{label}: {count:,} row(s) quarantined, {reason}: {', '.join(named)}{more}"
        )
