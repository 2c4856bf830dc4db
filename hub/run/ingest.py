"""Ingest: turn every landed, not yet ingested extract into staging and quarantine Parquet.

Outputs are written under ``tmp/`` and moved into place only when the whole file has been
read; the state database then records the outcome. A file that cannot be taken in whole is
recorded as rejected with the reason; its raw bytes stay in ``landing/``. A staged extract much
worse than its feed's current one is held, not made current (:mod:`hub.run.extracts`).

Bytes already staged (same feed and sha256) are never ingested again: a file with the same
bytes as the current extract is reported and set aside; one with the bytes of an earlier extract
is a re-send, and that extract, staged already, becomes current again. The bytes of a rejected
extract are tried again (its feed's format may have been fixed since).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from hub.audit.events import ExtractHeld, ExtractResent, Ingest, IngestRejected
from hub.audit.log import AuditLog
from hub.config import HubConfig
from hub.interrupts import raise_if_interrupted
from hub.output import Reporter
from hub.run.extracts import RowCounts, accept_hint, hold_reason, top_reasons
from hub.run.ingest_faults import say_faults
from hub.state import Delivery, Extract, StateStore
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
    """'ingested' (and current), 'held', 'rejected', 'resent' (an earlier extract's bytes, made
    current again) or 'duplicate' (the current extract's bytes)."""
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
    """Why it was rejected or held."""
    same_as: str | None = None
    """For a re-sent or duplicate file: the file whose bytes it repeats."""


def ingest_pending(
    config: HubConfig, workspace: Workspace, state: StateStore, audit: AuditLog, reporter: Reporter
) -> list[ExtractOutcome]:
    """Deal with every landed file of every configured feed not looked at yet, oldest first:
    ingest the first delivery of new bytes, settle a re-sent one; then ingest any extract still
    pending (landed before deliveries were kept)."""
    outcomes = []
    feeds = {feed.name: feed for feed in config.feeds}
    for delivery in state.unhandled_deliveries():
        raise_if_interrupted()
        feed = feeds.get(delivery.feed)
        extract = state.extract(delivery.extract_id)
        if feed is None or extract is None:
            continue
        if extract.status in ("erased", "rejected"):  # never taken in, or its files are gone
            state.reopen_extract(extract.extract_id, delivery.name, delivery.path)
            extract = state.extract(delivery.extract_id) or extract
        if extract.status == "pending":
            outcome = ingest_extract(extract, feed.format, workspace, state, audit, reporter)
        else:
            outcome = _delivered_again(delivery, extract, feed.format, state, audit, reporter)
        outcomes.append(outcome)
        state.mark_delivery_handled(delivery)
    for extract in state.extracts(status="pending"):
        raise_if_interrupted()
        feed = feeds.get(extract.feed)
        if feed is None:
            continue
        outcomes.append(ingest_extract(extract, feed.format, workspace, state, audit, reporter))
    return outcomes


def _delivered_again(
    delivery: Delivery, extract: Extract, fmt: FeedFormat, state: StateStore, audit: AuditLog,
    reporter: Reporter,
) -> ExtractOutcome:  # fmt: skip
    """A file with the bytes of an extract already staged: never ingested again."""
    label = f"ingest {delivery.feed}/{delivery.name}"
    outcome = ExtractOutcome(delivery.feed, extract.extract_id, delivery.name, extract.status,
                             same_as=extract.name)  # fmt: skip
    current = state.current_extracts().get(extract.feed)
    if current is not None and current.extract_id == extract.extract_id:
        outcome.status = "duplicate"
        reporter.warning(f"{label}: same bytes as {extract.name}, the current extract; not "
                         "ingested again")  # fmt: skip
        return outcome
    reason = hold_reason(fmt, RowCounts.of(extract), current,
                         quarantine_accepted="accepted" in extract.detail)  # fmt: skip
    if reason:
        state.hold_extract(extract.extract_id, reason)
        return _held(outcome, reason, current, audit, reporter, label)
    state.make_current(extract.extract_id, {"resent_as": delivery.name})
    audit.record(ExtractResent(feed=extract.feed, extract_id=extract.extract_id,
                               replaced=current.extract_id if current else None))  # fmt: skip
    outcome.status = "resent"
    reporter.warning(f"{label}: a re-send of {extract.name} (same bytes); it is current again, "
                     "from its staged rows, not ingested again")  # fmt: skip
    return outcome


def _held(
    outcome: ExtractOutcome, reason: str, current: Extract | None, audit: AuditLog,
    reporter: Reporter, label: str,
) -> ExtractOutcome:  # fmt: skip
    """Report an extract held back from being current."""
    outcome.status, outcome.error = "held", reason
    audit.record(ExtractHeld(feed=outcome.feed, extract_id=outcome.extract_id, reason=reason))
    stays = f"{current.name} stays current" if current else "the feed has no current extract"
    reporter.problem(
        f"{label}: held, not made current: {reason}; {stays}. If the extract is right, "
        f"accept it: {accept_hint(outcome.feed, outcome.same_as or outcome.file)}"
    )
    return outcome


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
    tmp_staging = workspace.ingest_work_file(extract.extract_id, "staging")
    tmp_quarantine = workspace.ingest_work_file(extract.extract_id, "quarantine")
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
        audit.record(IngestRejected(feed=extract.feed, extract_id=extract.extract_id,
                                    reason=error.message))  # fmt: skip
        reporter.problem(f"{label}: rejected: {error}")
        return outcome
    for temporary, final in ((tmp_staging, staging), (tmp_quarantine, quarantine)):
        final.parent.mkdir(parents=True, exist_ok=True)
        os.replace(temporary, final)
    _fill(outcome, result)
    current = state.current_extracts().get(extract.feed)
    rows = RowCounts(result.rows_read, result.rows_accepted, result.rows_rejected,
                     result.rejections)  # fmt: skip
    reason = hold_reason(fmt, rows, current)
    state.finish_extract(
        extract.extract_id, "held" if reason else "ingested",
        rows=(result.rows_read, result.rows_accepted, result.rows_rejected),
        detail={"warnings": outcome.warnings, "rejections": outcome.rejections,
                "unknown_columns": outcome.unknown_columns,
                "duplicate_record_ids": outcome.duplicate_record_ids,
                "conflicting_record_ids": outcome.conflicting_record_ids}
        | ({"held": reason} if reason else {}),
    )  # fmt: skip
    audit.record(Ingest(
        feed=extract.feed, extract_id=extract.extract_id,
        rows_read=result.rows_read, rows_accepted=result.rows_accepted,
        rows_quarantined=result.rows_rejected,
    ))  # fmt: skip
    reporter.done(
        f"{label}: {result.rows_accepted:,} rows ingested, {result.rows_rejected:,} quarantined "
        f"({result.rows_read / max(result.seconds, 1e-9):,.0f} rows/s)"
    )
    if result.rejections:
        reporter.done(f"  quarantined: {top_reasons(result.rejections)}")
    if result.warnings:
        reporter.done(f"  kept with warnings: {top_reasons(result.warnings)}")
    if result.unknown_columns:
        reporter.note(f"{label}: ignored unknown column(s) {', '.join(result.unknown_columns)}")
    say_faults(reporter, label, fmt, result, quarantine)
    if reason:
        return _held(outcome, reason, current, audit, reporter, label)
    return outcome


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
