"""Ingest: turn every landed, not yet ingested extract into staging and quarantine Parquet.

Outputs are written under ``tmp/`` and moved into place only when the whole file has been
read; the state database then records the outcome. A file already ingested (same feed and
sha256) is never ingested again. A file that cannot be taken in whole is recorded as rejected
with the reason; its raw bytes stay in ``landing/``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from hub.audit import AuditLog, Operation
from hub.config import HubConfig
from hub.output import Reporter
from hub.run.ingest_faults import say_faults
from hub.state import Extract, StateStore
from hub.workspace import Workspace
from schemas.errors import FeedFormatError
from schemas.feed import FeedFormat
from schemas.ingest import IngestResult, ingest_file


@dataclass
class ExtractOutcome:
    """The result of ingesting one extract, for reports."""

    feed: str
    extract_id: str
    file: str
    status: str
    rows_read: int = 0
    rows_accepted: int = 0
    rows_rejected: int = 0
    warnings: dict[str, int] = field(default_factory=dict)
    rejections: dict[str, int] = field(default_factory=dict)
    unknown_columns: list[str] = field(default_factory=list)
    duplicate_record_ids: int = 0
    conflicting_record_ids: int = 0
    seconds: float = 0.0
    error: str | None = None


def ingest_pending(
    config: HubConfig, workspace: Workspace, state: StateStore, audit: AuditLog, reporter: Reporter
) -> list[ExtractOutcome]:
    """Ingest every pending extract of every configured feed, oldest first."""
    outcomes = []
    feeds = {feed.name: feed for feed in config.feeds}
    for extract in state.extracts(status="pending"):
        feed = feeds.get(extract.feed)
        if feed is None:
            continue
        outcomes.append(ingest_extract(extract, feed.format, workspace, state, audit, reporter))
    return outcomes


def ingest_extract(
    extract: Extract,
    fmt: FeedFormat,
    workspace: Workspace,
    state: StateStore,
    audit: AuditLog,
    reporter: Reporter,
) -> ExtractOutcome:
    """Ingest one extract and record the outcome."""
    staging = workspace.staging_file(extract.feed, extract.extract_id)
    quarantine = workspace.quarantine_file(extract.feed, extract.extract_id)
    tmp_staging = workspace.tmp / f"{extract.extract_id}.staging.parquet"
    tmp_quarantine = workspace.tmp / f"{extract.extract_id}.quarantine.parquet"
    outcome = ExtractOutcome(extract.feed, extract.extract_id, extract.name, "ingested")
    label = f"ingest {extract.feed}/{extract.name}"
    try:
        result = ingest_file(
            extract.landed_path, fmt, feed=extract.feed, extract_id=extract.extract_id,
            staging_path=tmp_staging, quarantine_path=tmp_quarantine,
            progress=reporter.progress(label),
        )  # fmt: skip
    except FeedFormatError as error:
        for leftover in (tmp_staging, tmp_quarantine):
            leftover.unlink(missing_ok=True)
        outcome.status, outcome.error = "rejected", str(error)
        state.finish_extract(extract.extract_id, "rejected", rows=None,
                             detail={"error": str(error)})  # fmt: skip
        audit.record(
            Operation.ALTERATION, "ingest_rejected",
            objects={"feed": extract.feed, "extract_id": extract.extract_id}, reason=error.message,
        )  # fmt: skip
        reporter.problem(f"{label}: rejected: {error}")
        return outcome
    for temporary, final in ((tmp_staging, staging), (tmp_quarantine, quarantine)):
        final.parent.mkdir(parents=True, exist_ok=True)
        os.replace(temporary, final)
    _fill(outcome, result)
    state.finish_extract(
        extract.extract_id, "ingested",
        rows=(result.rows_read, result.rows_accepted, result.rows_rejected),
        detail={"warnings": outcome.warnings, "rejections": outcome.rejections,
                "unknown_columns": outcome.unknown_columns,
                "duplicate_record_ids": outcome.duplicate_record_ids,
                "conflicting_record_ids": outcome.conflicting_record_ids},
    )  # fmt: skip
    audit.record(
        Operation.ALTERATION, "ingest",
        objects={"feed": extract.feed, "extract_id": extract.extract_id},
        counts={"rows_read": result.rows_read, "rows_accepted": result.rows_accepted,
                "rows_quarantined": result.rows_rejected},
    )  # fmt: skip
    reporter.done(
        f"{label}: {result.rows_accepted:,} rows ingested, {result.rows_rejected:,} quarantined "
        f"({result.rows_read / max(result.seconds, 1e-9):,.0f} rows/s)"
    )
    if result.rejections:
        reporter.done(f"  quarantined: {_top(result.rejections)}")
    if result.warnings:
        reporter.done(f"  kept with warnings: {_top(result.warnings)}")
    if result.unknown_columns:
        reporter.note(f"{label}: ignored unknown column(s) {', '.join(result.unknown_columns)}")
    say_faults(reporter, label, fmt, result, quarantine)
    return outcome


def _top(counts: dict[str, int], limit: int = 3) -> str:
    """The most frequent reasons, e.g. 'pnc_id: fails its check (12); ...'."""
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    shown = "; ".join(f"{reason} ({count:,})" for reason, count in ranked[:limit])
    return shown + (f"; and {len(ranked) - limit} more" if len(ranked) > limit else "")


def _fill(outcome: ExtractOutcome, result: IngestResult) -> None:
    outcome.rows_read = result.rows_read
    outcome.rows_accepted = result.rows_accepted
    outcome.rows_rejected = result.rows_rejected
    outcome.warnings = dict(result.warnings)
    outcome.rejections = dict(result.rejections)
    outcome.unknown_columns = result.unknown_columns
    outcome.duplicate_record_ids = result.duplicate_record_ids
    outcome.conflicting_record_ids = result.conflicting_record_ids
    outcome.seconds = round(result.seconds, 3)
