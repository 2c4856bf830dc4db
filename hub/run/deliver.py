"""Pushing a placed release to a recipient's own location (SFTP, or a folder) via a connector.

Each file is uploaded as ``<release_id>_<file>`` through :meth:`Connector.upload`, which writes
under a temporary name and renames, so the recipient never sees half a file. The manifest goes
last: when it is there, the release is complete. A delivery that fails is retried by the next
run; the release itself stays in place. A push to a folder (an outbox) leaves copies that the
hub can still see, and retention erases (:func:`outbox_copies`).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from connectors.config import FolderSource
from connectors.registry import open_connector
from hub.run.release_files import MANIFEST, is_release_id, read_manifest
from hub.sharing_config import RecipientConfig


def remote_name(release_id: str, file_name: str) -> str:
    """The name a release file is given at the recipient."""
    return f"{release_id}_{file_name}"


def push_release(
    recipient: RecipientConfig, release: Path, environment: Mapping[str, str] | None = None
) -> str:
    """Upload a release's files, manifest last; return where they went (no secrets).

    ``environment`` holds the variables the push destination names for its secrets.
    """
    assert recipient.push is not None
    manifest = read_manifest(release) or {}
    names = [str(entry["name"]) for entry in manifest.get("files", [])]
    with open_connector(recipient.push, recipient.name, environment) as connector:
        for name in [*names, MANIFEST]:
            connector.upload(release / name, remote_name(release.name, name))
        return connector.location


def outbox_folder(recipient: RecipientConfig) -> Path | None:
    """The local folder a recipient's releases are pushed to, when its push is a folder."""
    push = recipient.push
    return push.path if isinstance(push, FolderSource) else None


def outbox_copies(recipient: RecipientConfig) -> dict[str, list[Path]]:
    """The files pushed to a recipient's outbox folder, by release id (none for SFTP)."""
    folder = outbox_folder(recipient)
    copies: dict[str, list[Path]] = {}
    if folder is None or not folder.is_dir():
        return copies
    for path in sorted(folder.iterdir()):
        release_id, _, name = path.name.partition("_")
        if path.is_file() and name and is_release_id(release_id):
            copies.setdefault(release_id, []).append(path)
    return copies
