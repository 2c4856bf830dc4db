"""Retention: erase what the hub holds past its period, everywhere it holds it.

What is held and for how long:

* an **extract** (its landed file, its staging and quarantine Parquet) for the feed's
  ``retention_days``; a feed without one takes the longest retention of the agreements it
  provides to; with neither it is kept and the plan says so. A feed's *current* extract (the
  latest it sent, the feed's truth) is never erased: the plan flags it as held beyond its period.
* a **whole file rejected on checksum** (``quarantine/<feed>/*.rejected``) for the same period.
* a **release** (its delivery folder, e.g. ``published/<recipient>/<release_id>/``, and its
  records under ``releases/``: the pseudonym map) for the shortest retention of the agreements
  its manifest names (as the manifest recorded it, else as the register says now); a release
  naming no known retention is kept, with a note.
* **matched/** and **outbox copies** of releases: :mod:`hub.governance.retention_copies`.

Ages count from when the hub received the extract or wrote the file. :func:`plan_retention`
only looks; :func:`apply_retention` deletes what is due and logs one ``erasure`` entry per item;
:func:`run_retention` does either under the workspace lock, as ``iomhub retention apply`` does,
and sums what went per place (each workspace folder, each delivery folder and outbox outside it).
"""

from __future__ import annotations

import datetime
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hub.audit.events import ERASURES
from hub.audit.log import AuditLog
from hub.config import HubConfig
from hub.governance.agreement_register import AgreementSummary, agreement_register
from hub.governance.retention_copies import plan_matched, plan_outbox
from hub.governance.retention_items import (
    ERASE,
    HELD_BEYOND,
    KEEP,
    PlaceErasures,
    RetentionItem,
    by_place,
    decide,
    relative,
    size_of,
)
from hub.run.deliver import outbox_folder
from hub.run.releases import ReleaseInfo, erase_release, list_releases
from hub.state import StateStore
from hub.workspace import Workspace
from schemas.errors import ConfigError

__all__ = ["ERASE", "KEEP", "RetentionItem", "RetentionRun", "plan_retention", "run_retention"]

OWNER_FIELD = {"extract": "feed", "rejected_file": "feed", "release": "recipient",
               "outbox": "recipient", "matching": None}  # fmt: skip
"""The erasure event's attribute naming the item's owner, per kind of item."""


@dataclass(frozen=True)
class RetentionRun:
    """What a retention pass found past its period, what it erased, what it held on to."""

    applied: bool
    due: tuple[RetentionItem, ...]
    erased: tuple[RetentionItem, ...]
    held_beyond_retention: tuple[RetentionItem, ...]
    """Items past their period that are kept (a feed's current extract)."""
    places: tuple[PlaceErasures, ...] = ()
    """What was erased (or, in a dry run, would be) per place."""

    def as_dict(self, root: Path | None = None) -> dict[str, Any]:
        """A JSON-ready document; paths relative to the workspace when ``root`` is given."""
        return {
            "applied": self.applied,
            "due": [item.as_dict(root) for item in self.due],
            "erased": [item.as_dict(root) for item in self.erased],
            "held_beyond_retention": [item.as_dict(root) for item in self.held_beyond_retention],
            "places": [place.as_dict() for place in self.places],
        }


def run_retention(config: HubConfig, *, apply: bool) -> RetentionRun:
    """Plan retention under the workspace lock; with ``apply``, erase what is due and log it."""
    workspace = Workspace(config.workspace)
    with workspace.lock():
        audit = workspace.open_audit(config.settings) if apply else None
        plan = plan_retention(config)
        due = tuple(item for item in plan if item.due)
        places = tuple(by_place(due, place_names(config)))  # counted before anything goes
        erased = apply_retention(config, plan, audit) if audit is not None else []
    held = tuple(item for item in plan if item.held_beyond_retention)
    return RetentionRun(apply, due, tuple(erased), held, places)


def place_names(config: HubConfig) -> dict[Path, str]:
    """The places erasures are summed by: the workspace (by its top folders), each delivery
    folder outside it and each outbox folder."""
    places = {config.workspace: ""}
    for recipient in config.recipients:
        folder = recipient.delivery_folder(config.workspace)
        if not folder.is_relative_to(config.workspace):
            places[folder] = f"delivery {folder}"
        outbox = outbox_folder(recipient)
        if outbox is not None:
            places[outbox] = f"outbox {outbox}"
    return places


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
    erased_before: list[str] = []
    if workspace.state_path.exists():
        state = StateStore(workspace.state_path)
        try:
            current = {e.extract_id for e in state.current_extracts().values()}
            extracts = state.extracts()
        finally:
            state.close()
        erased_before = [e.extract_id for e in extracts if e.status == "erased"]
        for extract in extracts:
            if extract.status in ("pending", "erased"):
                continue
            landed = datetime.datetime.fromisoformat(extract.landed_at)
            age = (now - landed).days
            retention, basis = feed_retention(config, extract.feed, agreements)
            action, reason = decide(age, retention, basis)
            if extract.extract_id in current and action == ERASE:
                action, reason = (
                    KEEP,
                    (
                        f"{HELD_BEYOND} ({age} days): the feed's current "
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
                    size_of(paths),
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
        action, reason = decide(age, retention, basis)
        items.append(
            RetentionItem(
                "rejected_file",
                rejected.name,
                feed,
                [rejected],
                size_of([rejected]),
                held,
                age,
                retention,
                basis,
                action,
                reason,
            )
        )
    items.extend(_plan_releases(config, workspace, agreements, now))
    gone = [i.item_id for i in items if i.kind == "extract" and i.due] + erased_before
    items.extend(plan_matched(config, agreements, now, gone))
    items.extend(plan_outbox(config, now, lambda release: release_period(release, agreements)))
    return items


def _plan_releases(
    config: HubConfig, workspace: Workspace, agreements: list[AgreementSummary],
    now: datetime.datetime,
) -> list[RetentionItem]:  # fmt: skip
    items = []
    for release in list_releases(config):
        age = (now - release.created_at).days
        records = workspace.release_record(release.recipient, release.release_id).root
        paths = [p for folder in (release.folder, records) if folder.is_dir()
                 for p in sorted(folder.rglob("*")) if p.is_file()]  # fmt: skip
        ids = list(release.agreements)
        retention, basis = release_period(release, agreements)
        action, reason = decide(age, retention, basis)
        items.append(RetentionItem("release", f"{release.recipient}/{release.release_id}",
                                   release.recipient, paths, size_of(paths), release.created_at,
                                   age, retention, basis, action, reason, ids))  # fmt: skip
    return items


def release_period(
    release: ReleaseInfo, agreements: list[AgreementSummary]
) -> tuple[int | None, str]:
    """A release's retention in days (the shortest of its agreements') and where it comes from."""
    registered = {a.agreement_id: a.retention_days for a in agreements}
    periods = []
    for agreement in release.agreements:
        days = release.retention_days.get(agreement) or registered.get(agreement)
        if days:
            periods.append((days, agreement))
    if release.problem:
        return None, f"release problem: {release.problem}"
    if periods:
        retention, agreement = min(periods)
        return retention, f"agreement {agreement}: {retention} days"
    named = ", ".join(release.agreements) or "none named"
    return None, f"no retention period known for its agreement(s): {named}"


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
            field = OWNER_FIELD[item.kind]
            owner = {field: item.owner} if field else {}
            audit.record(
                ERASURES[item.kind](
                    **owner,
                    item_id=item.item_id,
                    paths=tuple(relative(p, workspace.root) for p in item.paths),
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
