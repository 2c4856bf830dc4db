"""Retention of what the hub derives or copies: matching's outputs and releases' outbox copies.

* **matched/** — the person view (with NHS numbers), the record links, the review list, the
  standardised records, the match report and the run record — is kept for ``retention:
  matched_days`` of the hub file, else the longest ``retention_days`` of the agreements, counted
  from the match run that wrote it. It is erased earlier when it was built from an extract that
  is erased (or being erased): it would still hold that extract's rows. The next run matches the
  extracts still held again. Earlier assignment snapshots (``matched/assignments/``: every
  record's person id, one per run) go after the same period; the current one, the registry and
  the models stay (the person-id registry keeps ids stable and holds no names).
* **an outbox copy** (the files a folder ``push:`` left as ``<release_id>_<file>``) is kept for
  the release's period: the shortest ``retention_days`` of the agreements its manifest names. A
  push over SFTP left the copy on the recipient's server, under the recipient's own retention.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Callable, Collection
from pathlib import Path

from hub.config import HubConfig
from hub.governance.agreement_register import AgreementSummary
from hub.governance.retention_items import (
    ERASE,
    RetentionItem,
    age_days,
    decide,
    file_time,
    size_of,
)
from hub.run.deliver import outbox_copies, remote_name
from hub.run.release_files import MANIFEST, read_manifest
from hub.run.releases import ReleaseInfo, release_info
from hub.workspace import Workspace
from matching.registry import PersonRegistry

MATCHING = "matching"
"""The kind and the owner of matching's outputs in a retention plan."""
Period = Callable[[ReleaseInfo], tuple[int | None, str]]
"""A release's retention in days and where it comes from."""


def matched_retention(
    config: HubConfig, agreements: list[AgreementSummary]
) -> tuple[int | None, str]:
    """How long matching's outputs are kept, and where that comes from."""
    own = config.retention.matched_days
    if own is not None:
        return own, f"retention: matched_days {own}"
    periods = [(a.retention_days, a.agreement_id) for a in agreements if a.retention_days]
    if periods:
        days, agreement = max(periods)
        return days, f"agreement {agreement}: {days} days (the longest of the agreements)"
    return None, "no retention period for matched/ (set retention: matched_days)"


def plan_matched(
    config: HubConfig, agreements: list[AgreementSummary], now: datetime.datetime,
    erased_extracts: Collection[str],
) -> list[RetentionItem]:  # fmt: skip
    """matched/'s outputs and earlier assignment snapshots, each with its decision."""
    folder = Workspace(config.workspace).matched
    retention, basis = matched_retention(config, agreements)
    items = []
    outputs = [p for p in folder.files() if p.is_file()]
    if outputs:
        written = max(file_time(p) for p in outputs)
        age = age_days(now, written)
        action, reason = decide(age, retention, basis)
        stale = sorted(set(_built_from(folder.run_record)) & set(erased_extracts))
        if stale and action != ERASE:
            action = ERASE
            reason = (f"built from extract {stale[0]}, past its retention; the next run "
                      "matches the extracts still held")  # fmt: skip
        items.append(RetentionItem(MATCHING, "outputs", MATCHING, outputs, size_of(outputs),
                                   written, age, retention, basis, action, reason))  # fmt: skip
    for snapshot in _earlier_snapshots(folder.registry):
        written = file_time(snapshot)
        age = age_days(now, written)
        action, reason = decide(age, retention, basis)
        items.append(RetentionItem(MATCHING, f"assignments/{snapshot.name}", MATCHING,
                                   [snapshot], size_of([snapshot]), written, age, retention,
                                   basis, action, reason))  # fmt: skip
    return items


def _built_from(run_record: Path) -> list[str]:
    """The extract ids the last match run read (as its run record lists them)."""
    try:
        document = json.loads(run_record.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    extracts = document.get("extracts") if isinstance(document, dict) else None
    return [str(e) for e in extracts] if isinstance(extracts, list) else []


def _earlier_snapshots(registry_path: Path) -> list[Path]:
    """Assignment snapshots other than the one the registry reads now."""
    if not registry_path.is_file():
        return []
    with PersonRegistry(registry_path) as registry:
        current = registry.assignment_snapshot()
        folder = registry.snapshots
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.glob("*.parquet") if p.is_file() and p != current)


def plan_outbox(config: HubConfig, now: datetime.datetime, period: Period) -> list[RetentionItem]:
    """Every release copy in a recipient's outbox folder, each with its decision."""
    items = []
    for recipient in config.recipients:
        for release_id, paths in outbox_copies(recipient).items():
            folder = paths[0].parent
            manifest = read_manifest(folder, remote_name(release_id, MANIFEST))
            fallback = min(file_time(p) for p in paths)
            info = release_info(manifest, recipient.name, release_id, folder, fallback)
            retention, basis = period(info)
            age = age_days(now, info.created_at)
            action, reason = decide(age, retention, basis)
            items.append(RetentionItem("outbox", f"{recipient.name}/{release_id}",
                                       recipient.name, paths, size_of(paths), info.created_at,
                                       age, retention, basis, action, reason,
                                       list(info.agreements)))  # fmt: skip
    return items
