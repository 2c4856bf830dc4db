"""Releases as they sit in the workspace, and which internal person ids each one carried.

A release is ``published/<recipient>/<release_id>/`` with a ``manifest.json`` (release id,
agreement ids and versions, fields, row count, key id, sha256 of each file). What a release
holds is pseudonymised, so to answer a subject access request the hub keeps, inside the
workspace and never beside the release, the internal person ids it contained::

    release_index/<recipient>/<release_id>.parquet      one column: person_id

The publish step writes it with :func:`write_release_index`.
"""

from __future__ import annotations

import datetime
import json
import os
import shutil
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

PUBLISHED = "published"
RELEASE_INDEX = "release_index"


@dataclass(frozen=True)
class ReleaseInfo:
    """One release folder and what its manifest says (the recipient is the folder's name)."""

    recipient: str
    release_id: str
    folder: Path
    created_at: datetime.datetime
    agreements: dict[str, str] = field(default_factory=dict)
    """Agreement id -> version."""
    fields: list[str] = field(default_factory=list)
    rows: int | None = None
    key_id: str | None = None
    files: dict[str, str] = field(default_factory=dict)
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


def _agreements(manifest: dict[str, Any]) -> dict[str, str]:
    value = manifest.get("agreements", manifest.get("agreement_ids"))
    if value is None and manifest.get("agreement_id"):
        return {str(manifest["agreement_id"]): str(manifest.get("agreement_version", ""))}
    if isinstance(value, dict):
        return {
            str(k): str(v if not isinstance(v, dict) else v.get("version", ""))
            for k, v in value.items()
        }
    agreements: dict[str, str] = {}
    for item in value or []:
        if isinstance(item, dict):
            key = str(item.get("id") or item.get("agreement_id") or "?")
            agreements[key] = str(item.get("version", ""))
        else:
            agreements[str(item)] = ""
    return agreements


def read_release(folder: Path, recipient: str) -> ReleaseInfo:
    """Describe one release folder; a missing or unreadable manifest is kept as a problem."""
    fallback = datetime.datetime.fromtimestamp(folder.stat().st_mtime, datetime.UTC)
    try:
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
        if not isinstance(manifest, dict):
            raise ValueError("not a JSON object")
    except (OSError, ValueError) as error:
        return ReleaseInfo(
            recipient, folder.name, folder, fallback, problem=f"manifest unreadable: {error}"
        )
    created = _timestamp(
        manifest.get("created_at") or manifest.get("published_at") or manifest.get("created")
    )
    fields = manifest.get("fields") or []
    if isinstance(fields, dict):
        fields = list(fields)
    files = manifest.get("files") or manifest.get("sha256") or {}
    if isinstance(files, list):
        files = {
            str(f.get("name", f.get("path", "?"))): str(f.get("sha256", ""))
            for f in files
            if isinstance(f, dict)
        }
    rows = manifest.get("rows", manifest.get("row_count"))
    return ReleaseInfo(
        recipient=recipient,
        release_id=str(manifest.get("release_id") or folder.name),
        folder=folder,
        created_at=created or fallback,
        agreements=_agreements(manifest),
        fields=[str(f) for f in fields],
        rows=int(rows) if isinstance(rows, int) else None,
        key_id=manifest.get("key_id"),
        files={str(k): str(v) for k, v in dict(files).items()},
    )


def list_releases(workspace_root: Path) -> list[ReleaseInfo]:
    """Every release folder in the workspace, oldest first."""
    published = workspace_root / PUBLISHED
    releases = []
    if published.is_dir():
        for recipient in sorted(p for p in published.iterdir() if p.is_dir()):
            for folder in sorted(p for p in recipient.iterdir() if p.is_dir()):
                if not folder.name.startswith("."):
                    releases.append(read_release(folder, recipient.name))
    return sorted(releases, key=lambda r: (r.created_at, r.recipient, r.release_id))


def release_index_path(workspace_root: Path, recipient: str, release_id: str) -> Path:
    """Where the internal person ids of a release are kept."""
    return workspace_root / RELEASE_INDEX / recipient / f"{release_id}.parquet"


def write_release_index(
    workspace_root: Path, recipient: str, release_id: str, person_ids: list[str]
) -> Path:
    """Keep the internal person ids a release carried (atomically; sorted, unique)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    target = release_index_path(workspace_root, recipient, release_id)
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_suffix(".tmp")
    table = pa.table({"person_id": pa.array(sorted(set(person_ids)), pa.string())})
    pq.write_table(table, temporary)
    os.replace(temporary, target)
    return target


def erase_release(workspace_root: Path, release: ReleaseInfo) -> tuple[int, int]:
    """Delete a release folder and its person index; return (files, bytes) removed."""
    files, size = 0, 0
    index = release_index_path(workspace_root, release.recipient, release.release_id)
    targets = [p for p in release.folder.rglob("*") if p.is_file()]
    if index.exists():
        targets.append(index)
    for path in targets:
        files, size = files + 1, size + path.stat().st_size
    shutil.rmtree(release.folder, ignore_errors=False)
    index.unlink(missing_ok=True)
    return files, size
