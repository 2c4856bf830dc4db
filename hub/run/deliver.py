"""Pushing a placed release to a recipient's own location (SFTP, or a folder) via a connector.

Each file is uploaded as ``<release_id>_<file>`` through :meth:`Connector.upload`, which writes
under a temporary name and renames, so the recipient never sees half a file. The manifest goes
last: when it is there, the release is complete. A delivery that fails is retried by the next
run; the release itself stays in place.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from connectors.registry import open_connector
from hub.run.release_files import MANIFEST, read_manifest
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
