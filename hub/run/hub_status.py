"""The whole hub's status for ``iomhub status``: feeds, outstanding extracts, the last match,
the latest release per recipient, and the audit log.

Feeds come from :mod:`hub.run.status`. An extract is outstanding when it is held or rejected
and landed after its feed's current extract (nothing later has settled it). The match is the
last run's counts and the review backlog (pairs no reviewer has decided). The audit log is
verified whole (chain, hashes, HMACs); without the audit key it is reported as not checked.
Nothing here holds personal data: names of feeds, files and recipients, counts and reasons.
"""

from __future__ import annotations

import datetime
import json
from dataclasses import asdict, dataclass, field
from typing import Any

from hub.config import HubConfig
from hub.run.extracts import accept_hint
from hub.run.status import FeedStatus, feed_status_rows
from hub.state import Extract
from hub.workspace import Workspace
from schemas.errors import HubError


@dataclass(frozen=True)
class OutstandingExtract:
    """A held or rejected extract nothing later has settled."""

    feed: str
    extract_id: str
    file: str
    status: str
    """'held' or 'rejected'."""
    landed_at: str
    reason: str | None
    what_to_do: str


@dataclass(frozen=True)
class MatchStatus:
    """The last match: its counts and the review backlog."""

    run_id: str
    model_version: str
    finished_at: str
    records: int
    persons: int
    persons_with_links: int
    review_pairs: int
    review_pending: int | None
    """Pairs of the review list no reviewer has decided (None: the list cannot be read)."""


@dataclass(frozen=True)
class LatestRelease:
    """A recipient's latest release."""

    recipient: str
    release_id: str
    created_at: str
    rows: int | None
    folder: str
    problem: str | None


@dataclass(frozen=True)
class AuditStatus:
    """Where the audit log stands."""

    checked: bool
    """False when it could not be verified (no audit key): ``problem`` says why."""
    ok: bool | None
    entries: int | None
    first_bad_sequence: int | None
    problem: str | None
    last_hash: str | None


@dataclass(frozen=True)
class WithheldRecipient:
    """A configured recipient with no release placed, and why the last publish withheld one."""

    recipient: str
    reason: str


@dataclass(frozen=True)
class HubStatus:
    """Everything ``iomhub status`` reports."""

    feeds: list[FeedStatus]
    extracts: list[OutstandingExtract]
    match: MatchStatus | None
    releases: list[LatestRelease]
    audit: AuditStatus
    withheld: list[WithheldRecipient] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form: ``extracts`` split into ``held`` and ``rejected``."""
        return {
            "feeds": [row.as_dict() for row in self.feeds],
            "extracts": {
                status: [asdict(e) for e in self.extracts if e.status == status]
                for status in ("held", "rejected")
            },
            "match": asdict(self.match) if self.match else None,
            "releases": [asdict(release) for release in self.releases],
            "withheld": [asdict(recipient) for recipient in self.withheld],
            "audit": asdict(self.audit),
        }


def hub_status(config: HubConfig, now: datetime.datetime | None = None) -> HubStatus:
    """The hub's status, read from the workspace (nothing is changed)."""
    releases = latest_releases(config)
    return HubStatus(
        feeds=feed_status_rows(config, now),
        extracts=outstanding_extracts(config),
        match=match_status(config),
        releases=releases,
        audit=audit_status(config),
        withheld=withheld_recipients(config, {release.recipient for release in releases}),
    )


def outstanding_extracts(config: HubConfig) -> list[OutstandingExtract]:
    """Held and rejected extracts landed after their feed's current one, oldest first."""
    state = Workspace(config.workspace).open_state()
    try:
        current = state.current_extracts()
        troubled = [*state.extracts(status="held"), *state.extracts(status="rejected")]
    finally:
        state.close()
    outstanding = [
        _outstanding(extract)
        for extract in troubled
        if extract.feed not in current or extract.landed_at >= current[extract.feed].landed_at
    ]
    return sorted(outstanding, key=lambda e: (e.landed_at, e.feed, e.file))


def _outstanding(extract: Extract) -> OutstandingExtract:
    if extract.status == "held":
        reason = extract.detail.get("held")
        what_to_do = f"if it is right: {accept_hint(extract.feed, extract.name)}"
    else:
        reason = extract.detail.get("error")
        what_to_do = "ask the partner for a corrected file"
    return OutstandingExtract(extract.feed, extract.extract_id, extract.name, extract.status,
                              extract.landed_at, reason, what_to_do)  # fmt: skip


def match_status(config: HubConfig) -> MatchStatus | None:
    """The last match's counts and review backlog; None before any match."""
    record_path = Workspace(config.workspace).matched.run_record
    try:
        record = json.loads(record_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    finished = datetime.datetime.fromtimestamp(record_path.stat().st_mtime, datetime.UTC)
    return MatchStatus(
        run_id=str(record.get("run_id", "")),
        model_version=str(record.get("model_version", "")),
        finished_at=finished.isoformat(timespec="seconds"),
        records=int(record.get("records", 0)),
        persons=int(record.get("persons", 0)),
        persons_with_links=int(record.get("persons_with_links", 0)),
        review_pairs=int(record.get("review_pairs", 0)),
        review_pending=_review_pending(config),
    )


def _review_pending(config: HubConfig) -> int | None:
    from hub.run.review import pending_reviews

    try:
        return len(pending_reviews(config).pairs)
    except HubError:
        return None


def latest_releases(config: HubConfig) -> list[LatestRelease]:
    """Each recipient's latest placed release."""
    from hub.run.releases import list_releases

    latest = {release.recipient: release for release in list_releases(config)}
    releases = []
    for r in latest.values():
        created = r.created_at.isoformat(timespec="seconds")
        releases.append(LatestRelease(r.recipient, r.release_id, created, r.rows,
                                      str(r.folder), r.problem))  # fmt: skip
    return releases


def withheld_recipients(config: HubConfig, placed: set[str]) -> list[WithheldRecipient]:
    """Recipients with no release (``placed`` names those with one) whose last publish withheld
    one, with the reason it gave."""
    state = Workspace(config.workspace).open_state()
    try:
        reasons = {r.name: state.fact(f"withheld:{r.name}") for r in config.recipients}
    finally:
        state.close()
    return [WithheldRecipient(name, reason) for name, reason in reasons.items()
            if reason and name not in placed]  # fmt: skip


def audit_status(config: HubConfig) -> AuditStatus:
    """The audit log verified whole, or why it could not be."""
    try:
        result = Workspace(config.workspace).open_audit(config.settings).verify()
    except HubError as error:
        return AuditStatus(False, None, None, None, f"not checked: {error.message}", None)
    return AuditStatus(True, result.ok, result.entries, result.first_bad_sequence,
                       result.problem, result.last_hash)  # fmt: skip


def render_summary(status: HubStatus) -> str:
    """The sections below the feed table, for the terminal."""
    lines = [] if status.extracts else ["extracts: none held or rejected"]
    for extract in status.extracts:
        lines.append(f"{extract.status} extract {extract.feed}/{extract.file}: {extract.reason} "
                     f"({extract.what_to_do})")  # fmt: skip
    match = status.match
    if match is None:
        lines.append("match: none yet")
    else:
        pending = "?" if match.review_pending is None else f"{match.review_pending:,}"
        lines.append(f"match: {match.persons:,} people from {match.records:,} records at "
                     f"{match.finished_at} (run {match.run_id}); review backlog {pending} "
                     "pair(s)")  # fmt: skip
    for release in status.releases:
        rows = "?" if release.rows is None else f"{release.rows:,}"
        problem = f"; {release.problem}" if release.problem else ""
        lines.append(f"release {release.recipient}: {release.release_id} at "
                     f"{release.created_at}, {rows} rows{problem}")  # fmt: skip
    for withheld in status.withheld:
        lines.append(f"release {withheld.recipient}: none, withheld ({withheld.reason})")
    if not status.releases and not status.withheld:
        lines.append("releases: none yet")
    audit = status.audit
    if not audit.checked:
        lines.append(f"audit log: {audit.problem}")
    elif audit.ok:
        lines.append(f"audit log: intact, {audit.entries:,} entries verified")
    else:
        lines.append(f"audit log: FAILED verification at entry {audit.first_bad_sequence}: "
                     f"{audit.problem}")  # fmt: skip
    return "\n".join(lines)
