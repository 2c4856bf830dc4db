"""The hub file's sharing settings: ``agreements:`` (files) and ``recipients:``.

::

    agreements:
      - agreements/*.yaml          # paths or globs, relative to the hub file
    recipients:
      - name: iom_team
        description: IOM police and probation team
        folder: /srv/iomhub/outbox/iom_team     # default: <workspace>/published/<name>
        formats: [parquet, csv]                 # default: [parquet]
        key_version: 1                          # raise to rotate the recipient's pseudonym key
        push:                                   # optional: also upload each release
          kind: sftp                            # any connector kind (sftp, folder)
          ...                                   # that connector's settings
"""

from __future__ import annotations

import glob
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from connectors.config import SourceConfig
from hub.workspace import Workspace
from schemas.errors import ConfigError

RECIPIENT_NAME = r"^[a-z][a-z0-9_]{0,39}$"


class RecipientConfig(BaseModel):
    """Someone who receives releases under agreements."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=RECIPIENT_NAME, description="Short name agreements use.")
    description: str = ""
    folder: Path | None = Field(
        None, description="Delivery folder for releases (default: <workspace>/published/<name>)."
    )
    formats: list[Literal["parquet", "csv"]] = Field(
        default_factory=lambda: ["parquet"], min_length=1
    )
    key_version: int = Field(1, ge=1, description="Pseudonym key version; raise to rotate.")
    push: SourceConfig | None = Field(
        None,
        discriminator="kind",
        description="Where to upload each release as well (a connector's settings, e.g. sftp).",
    )

    @field_validator("push", mode="before")
    @classmethod
    def _no_pattern_needed(cls, value: Any) -> Any:
        if isinstance(value, dict) and "pattern" not in value:
            return {**value, "pattern": "*"}
        return value

    @field_validator("formats")
    @classmethod
    def _once_each(cls, value: list[str]) -> list[str]:
        if len(set(value)) != len(value):
            raise ValueError("a format is listed twice")
        return value

    def delivery_folder(self, workspace: Path) -> Path:
        """Where this recipient's releases are placed (``workspace`` is the workspace folder)."""
        return self.folder or Workspace(workspace).default_delivery_folder(self.name)


def resolve_files(base: Path, entries: Any, *, key: str, where: Path) -> list[Path]:
    """Paths or globs (relative to ``base``) to the files they name; a glob must match."""
    if not isinstance(entries, list) or not all(isinstance(e, str) for e in entries):
        raise ConfigError(f"{where}: {key}: expected a list of files or globs")
    files: list[Path] = []
    for entry in entries:
        if any(c in entry for c in "*?["):
            pattern = base / Path(entry).expanduser()  # an absolute pattern stays absolute
            matches = sorted(Path(match) for match in glob.glob(str(pattern)))
            if not matches:
                raise ConfigError(f"{where}: {key}: {entry!r} matches no file")
            files.extend(matches)
        else:
            path = Path(entry).expanduser()
            files.append(path if path.is_absolute() else base / path)
    return files


def resolve_sharing(document: dict[str, Any], base: Path, hub_path: Path) -> dict[str, Any]:
    """Resolve the sharing settings of a hub document (paths relative to the hub file)."""
    resolved = dict(document)
    if "agreements" in document:
        resolved["agreements"] = resolve_files(
            base, document["agreements"] or [], key="agreements", where=hub_path
        )
    recipients = document.get("recipients") or []
    if isinstance(recipients, list):
        names = [r.get("name") for r in recipients if isinstance(r, dict)]
        twice = sorted({str(n) for n in names if names.count(n) > 1})
        if twice:
            raise ConfigError(f"{hub_path}: recipients: name(s) used twice: {', '.join(twice)}")
        resolved["recipients"] = [_resolve_recipient(r, base) for r in recipients]
    return resolved


def _resolve_recipient(entry: Any, base: Path) -> Any:
    if not isinstance(entry, dict):
        return entry
    entry = dict(entry)
    if entry.get("folder") and not Path(str(entry["folder"])).expanduser().is_absolute():
        entry["folder"] = base / str(entry["folder"])
    push = entry.get("push")
    relative = isinstance(push, dict) and push.get("kind") == "folder" and push.get("path")
    if relative and not Path(str(push["path"])).expanduser().is_absolute():
        entry["push"] = {**push, "path": base / str(push["path"])}
    return entry
