"""Configuration of where and how a feed's files are pulled (the ``source:`` of a feed)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from connectors.base import AfterLanding


class Completeness(BaseModel):
    """When a partner's file counts as completely uploaded.

    A file with a ``<name>.sha256`` sidecar is complete when the sidecar is there. Otherwise its
    size and mtime must be unchanged for ``stable_seconds`` (across pulls) and its mtime at least
    ``min_age_seconds`` old. ``require_sidecar`` takes only files that have a sidecar.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    require_sidecar: bool = False
    stable_seconds: int = Field(60, ge=0)
    min_age_seconds: int = Field(120, ge=0)


class SourceBase(BaseModel):
    """Settings every transport shares."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    pattern: str = Field(description="Glob for the feed's files, e.g. 'police_nominals_*.csv'.")
    completeness: Completeness = Completeness()
    after_landing: AfterLanding = AfterLanding.LEAVE
    archive_folder: str = Field("archive", description="Folder for after_landing: archive.")


class FolderSource(SourceBase):
    """A local drop folder (or a mounted share)."""

    kind: Literal["folder"] = "folder"
    path: Path


SourceConfig = FolderSource
"""Every transport's source settings (a union discriminated by ``kind``)."""
