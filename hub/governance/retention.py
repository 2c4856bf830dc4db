"""Retention: erase landed, staged and quarantined extracts and releases past their period.

What is held and for how long:

* an **extract** (its landed file, its staging and quarantine Parquet) for the feed's
  ``retention_days``; a feed without one takes the longest retention of the agreements it
  provides to; with neither it is kept and the plan says so. A feed's *current* extract (the
  latest it sent, the feed's truth) is never erased: the plan shows it as held beyond its period.
* a **whole file rejected on checksum** (``quarantine/<feed>/*.rejected``) for the same period.
* a **release** (its delivery folder, e.g. ``published/<recipient>/<release_id>/``, and its
  records under ``releases/``: the pseudonym map) for the shortest retention of the agreements
  its manifest names (as the manifest recorded it, else as the register says now); a release
  naming no known retention is kept, with a note.

Ages count from when the hub received the extract or wrote the release. :func:`plan_retention`
only looks; :func:`apply_retention` deletes what is due and logs one ``erasure`` entry per item;
:func:`run_retention` does either under the workspace lock, as ``iomhub retention apply`` does.
"""

from __future__ import annotations

import datetime
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hub.audit import AuditLog
from hub.audit_events import ERASURES
from hub.config import HubConfig
from hub.governance.agreement_register import AgreementSummary, agreement_register
from hub.run.releases import erase_release, list_releases
from hub.state import StateStore
from hub.workspace import Workspace
from schemas.errors import ConfigError

KEEP, ERASE = "keep", "erase"


@dataclass
class RetentionItem:
    """One thing the hub holds, and whether its retention period has ended."""

    kind: str
    """'extract', 'rejected_file' or 'release'."""
    item_id: str
    owner: str
    """The feed or the recipient."""
    paths: list[Path]
    bytes: int
    held_since: datetime.datetime
    age_days: int
    retention_days: int | None
    basis: str
    action: str
    reason: str
    agreement_ids: list[str] = field(default_factory=list)

    @property
    def due(self) -> bool:
        """Whether the item is past its period and will be erased."""
        return self.action == ERASE

    def as_dict(self, root: Path | None = None) -> dict[str, Any]:
        """A JSON-ready document; paths relative to the workspace when ``root`` is given."""
        return {
            "kind": self.kind,
            "id": self.item_id,
            "owner": self.owner,
            "files": [_relative(p, root) for p in self.paths],
            "bytes": self.bytes,
            "held_since": self.held_since.isoformat(timespec="seconds"),
            "age_days": self.age_days,
            "retention_days": self.retention_days,
            "basis": self.basis,
            "action": self.action,
            "reason": self.reason,
            "agreement_ids": self.agreement_ids,
        }


@dataclass(frozen=True)
class RetentionRun:
    """What a retention pass found past its period, what it erased, what it held on to."""

    applied: bool
    due: tuple[RetentionItem, ...]
    erased: tuple[RetentionItem, ...]
    held_beyond_retention: tuple[RetentionItem, ...]
    """Items past their period that are kept (a feed's current extract)."""

    def as_dict(self, root: Path | None = None) -> dict[str, Any]:
        """A JSON-ready document; paths relative to the workspace when ``root`` is given."""
        return {
            "applied": self.applied,
            "due": [item.as_dict(root) for item in self.due],
            "erased": [item.as_dict(root) for item in self.erased],
            "held_beyond_retention": [item.as_dict(root) for item in self.held_beyond_retention],
        }


def run_retention(config: HubConfig, *, apply: bool) -> RetentionRun:
    """Plan retention under the workspace lock; with ``apply``, erase what is due and log it."""
    workspace = Workspace(config.workspace)
    with workspace.lock():
        audit = workspace.open_audit(config.settings) if apply else None
        plan = plan_retention(config)
        erased = apply_retention(config, plan, audit) if audit is not None else []
    due = tuple(item for item in plan if item.due)
    held = tuple(i for i in plan if not i.due and i.reason.startswith("held beyond"))
    return RetentionRun(apply, due, tuple(erased), held)


def _relative(path: Path, root: Path | None) -> str:
    if root is not None:
        try:
            return str(path.relative_to(root))
        except ValueError:
            pass
    return str(path)


def _size(paths: list[Path]) -> int:
    return sum(p.stat().st_size for p in paths if p.exists())


def feed_retention(
    config: HubConfig, feed: str, agreements: list[AgreementSummary]
) -> tuple[int | None, str]:
    """A feed's retention in days and where it comes from."""
    try:
        own = config.feed(feed).retention_days
    except ConfigError:  # a feed no longer configured: fall back to the agreements
        own = None
    if own is not None:
        return own, f"feed {feed}: retention_days {own}"
    periods = [
        (a.retention_days, a.agreement_id)
        for a in agreements
        if feed in a.providers and a.retention_days is not None
    ]
    if periods:
        days, agreement = max(periods)
        return days, f"agreement {agreement}: {days} days (longest of those {feed} provides to)"
    return None, f"no retention period set for feed {feed}"


def _decide(age: int, retention: int | None, basis: str) -> tuple[str, str]:
    if retention is None:
        return KEEP, f"kept: {basis}"
    if age > retention:
        return ERASE, f"past retention ({age} days held; {basis})"
    return KEEP, f"within retention ({age} of {retention} days)"


def plan_retention(
    config: HubConfig,
    now: datetime.datetime | None = None,
    agreements: list[AgreementSummary] | None = None,
) -> list[RetentionItem]:
    """Everything held with a retention decision; nothing is changed."""
    now = now or datetime.datetime.now(datetime.UTC)
    agreements = agreements if agreements is not None else agreement_register(config, now.date())
    workspace = Workspace(config.workspace)
    items: list[RetentionItem] = []
    if workspace.state_path.exists():
        state = StateStore(workspace.state_path)
        try:
            current = {e.extract_id for e in state.current_extracts().values()}
            extracts = state.extracts()
        finally:
            state.close()
        for extract in extracts:
            if extract.status in ("pending", "erased"):
                continue
            landed = datetime.datetime.fromisoformat(extract.landed_at)
            age = (now - landed).days
            retention, basis = feed_retention(config, extract.feed, agreements)
            action, reason = _decide(age, retention, basis)
            if extract.extract_id in current and action == ERASE:
                action, reason = (
                    KEEP,
                    (
                        f"held beyond retention ({age} days): the feed's current "
                        "extract, until a newer one arrives"
                    ),
                )
            paths = [
                p
                for p in (
                    extract.landed_path,
                    workspace.staging_file(extract.feed, extract.extract_id),
                    workspace.quarantine_file(extract.feed, extract.extract_id),
                )
                if p.exists()
            ]
            items.append(
                RetentionItem(
                    "extract",
                    extract.extract_id,
                    extract.feed,
                    paths,
                    _size(paths),
                    landed,
                    age,
                    retention,
                    basis,
                    action,
                    reason,
                )
            )
    for rejected in workspace.rejected_files():
        feed = rejected.parent.name
        held = datetime.datetime.fromtimestamp(rejected.stat().st_mtime, datetime.UTC)
        age = (now - held).days
        retention, basis = feed_retention(config, feed, agreements)
        action, reason = _decide(age, retention, basis)
        items.append(
            RetentionItem(
                "rejected_file",
                rejected.name,
                feed,
                [rejected],
                _size([rejected]),
                held,
                age,
                retention,
                basis,
                action,
                reason,
            )
        )
    items.extend(_plan_releases(config, workspace, agreements, now))
    return items


def _plan_releases(
    config: HubConfig, workspace: Workspace, agreements: list[AgreementSummary],
    now: datetime.datetime,
) -> list[RetentionItem]:  # fmt: skip
    registered = {a.agreement_id: a.retention_days for a in agreements}
    items = []
    for release in list_releases(config):
        age = (now - release.created_at).days
        records = workspace.release_record(release.recipient, release.release_id).root
        paths = [p for folder in (release.folder, records) if folder.is_dir()
                 for p in sorted(folder.rglob("*")) if p.is_file()]  # fmt: skip
        ids = list(release.agreements)
        periods = []
        for agreement in ids:
            days = release.retention_days.get(agreement) or registered.get(agreement)
            if days:
                periods.append((days, agreement))
        if release.problem:
            retention, basis = None, f"release problem: {release.problem}"
        elif periods:
            retention, agreement = min(periods)
            basis = f"agreement {agreement}: {retention} days"
        else:
            retention = None
            named = ", ".join(ids) or "none named"
            basis = f"no retention period known for its agreement(s): {named}"
        action, reason = _decide(age, retention, basis)
        items.append(RetentionItem("release", f"{release.recipient}/{release.release_id}",
                                   release.recipient, paths, _size(paths), release.created_at,
                                   age, retention, basis, action, reason, ids))  # fmt: skip
    return items


def _remove_empty_parents(path: Path, stop: Path) -> None:
    folder = path.parent
    while folder.parent != stop and stop in folder.parents:  # top-level folders stay
        try:
            folder.rmdir()
        except OSError:
            return
        folder = folder.parent


def apply_retention(
    config: HubConfig, plan: list[RetentionItem], audit: AuditLog
) -> list[RetentionItem]:
    """Erase every item of ``plan`` that is due; log each erasure; return what was erased."""
    workspace = Workspace(config.workspace)
    erased = []
    state = workspace.open_state()
    try:
        for item in (i for i in plan if i.due):
            files, size = _erase(config, workspace, item, state)
            owner = {"feed" if item.kind != "release" else "recipient": item.owner}
            audit.record(
                ERASURES[item.kind](
                    **owner,
                    item_id=item.item_id,
                    paths=tuple(_relative(p, workspace.root) for p in item.paths),
                    files=files,
                    bytes=size,
                    age_days=item.age_days,
                    retention_days=item.retention_days or 0,
                    agreement_id=item.agreement_ids[0] if item.agreement_ids else None,
                    reason=item.reason,
                )
            )
            erased.append(item)
    finally:
        state.close()
    return erased


def _erase(
    config: HubConfig, workspace: Workspace, item: RetentionItem, state: StateStore
) -> tuple[int, int]:
    if item.kind == "release":
        release = next(
            (r for r in list_releases(config) if f"{r.recipient}/{r.release_id}" == item.item_id),
            None,
        )
        return erase_release(workspace, release) if release else (0, 0)
    files, size = 0, 0
    for path in item.paths:
        if path.exists():
            size += path.stat().st_size
            os.unlink(path)
            files += 1
            _remove_empty_parents(path, workspace.root)
    if item.kind == "extract":
        state.mark_extract_erased(item.item_id)
    return files, size
