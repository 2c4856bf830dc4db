"""Releases as they sit in the workspace, and which internal person ids each one carried.

Publishing places each release in its recipient's delivery folder (by default
``published/<recipient>/<release_id>/``: the view files and ``manifest.json``) and keeps,
inside the workspace and never beside the release, its pseudonym map and decisions in
``releases/<recipient>/<release_id>/`` (``pseudonyms.sealed``: field, pseudonym, person_id,
sealed under the master key by :mod:`hub.run.pseudonym_maps`).
The pseudonym map is how the hub knows, for a subject access request, which people a release
carried; retention erases it with the release.
"""

from __future__ import annotations

import datetime
import shutil
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from hub.config import HubConfig
from hub.run.release_files import read_manifest, releases_in
from hub.workspace import Workspace


@dataclass(frozen=True)
class ReleaseInfo:
    """One release folder and what its manifest says (the recipient is the folder's owner)."""

    recipient: str
    release_id: str
    folder: Path
    created_at: datetime.datetime
    agreements: dict[str, str] = field(default_factory=dict)
    """Agreement id -> version."""
    retention_days: dict[str, int] = field(default_factory=dict)
    """Agreement id -> retention in days, as the manifest recorded it."""
    fields: list[str] = field(default_factory=list)
    rows: int | None = None
    key_id: str | None = None
    problem: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready document."""
        document = asdict(self)
        document["folder"] = str(self.folder)
        document["created_at"] = self.created_at.isoformat(timespec="seconds")
        return document


def _timestamp(value: Any) -> datetime.datetime | None:
    if not value:
        return None
    try:
        moment = datetime.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=datetime.UTC)


def read_release(folder: Path, recipient: str) -> ReleaseInfo:
    """Describe one release folder; a missing or unreadable manifest is kept as a problem."""
    fallback = datetime.datetime.fromtimestamp(folder.stat().st_mtime, datetime.UTC)
    return release_info(read_manifest(folder), recipient, folder.name, folder, fallback)


def release_info(
    manifest: dict[str, Any] | None, recipient: str, release_id: str, folder: Path,
    fallback: datetime.datetime,
) -> ReleaseInfo:  # fmt: skip
    """Describe a release (or a copy of it, e.g. pushed to an outbox) from its manifest;
    ``fallback`` is its time when the manifest gives none."""
    if not manifest:
        return ReleaseInfo(recipient, release_id, folder, fallback,
                           problem="its manifest is missing or unreadable")  # fmt: skip
    agreements, retention = {}, {}
    for item in manifest.get("agreements") or []:
        if isinstance(item, dict) and item.get("id"):
            agreements[str(item["id"])] = str(item.get("version", ""))
            if isinstance(item.get("retention_days"), int):
                retention[str(item["id"])] = int(item["retention_days"])
    fields = [str(f["name"]) if isinstance(f, dict) else str(f)
              for f in manifest.get("fields") or []]  # fmt: skip
    rows = manifest.get("row_count")
    return ReleaseInfo(
        recipient=recipient,
        release_id=release_id,
        folder=folder,
        created_at=_timestamp(manifest.get("created_at")) or fallback,
        agreements=agreements,
        retention_days=retention,
        fields=fields,
        rows=int(rows) if isinstance(rows, int) else None,
        key_id=manifest.get("key_id"),
    )


def delivery_folders(config: HubConfig) -> dict[str, Path]:
    """Each recipient's delivery folder: configured ones, and any other under ``published/``."""
    folders = {r.name: r.delivery_folder(config.workspace) for r in config.recipients}
    published = Workspace(config.workspace).published
    if published.is_dir():
        for folder in sorted(published.iterdir()):
            if folder.is_dir() and folder.name not in folders:
                folders[folder.name] = folder
    return folders


def list_releases(config: HubConfig) -> list[ReleaseInfo]:
    """Every placed release of every recipient, oldest first."""
    releases = [
        read_release(folder, recipient)
        for recipient, parent in delivery_folders(config).items()
        for folder in releases_in(parent)
    ]
    return sorted(releases, key=lambda r: (r.created_at, r.recipient, r.release_id))


def erase_release(workspace: Workspace, release: ReleaseInfo) -> tuple[int, int]:
    """Delete a release folder and its records (pseudonym map); return (files, bytes)."""
    records = workspace.release_record(release.recipient, release.release_id).root
    targets = [p for folder in (release.folder, records) if folder.is_dir()
               for p in folder.rglob("*") if p.is_file()]  # fmt: skip
    size = sum(p.stat().st_size for p in targets)
    for folder in (release.folder, records):
        if folder.is_dir():
            shutil.rmtree(folder)
    return len(targets), size
