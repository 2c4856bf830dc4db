"""The connector seam: a small abstract base that every transport implements.

A connector lists, reads, tidies up and uploads files in one partner location (a local drop
folder, an SFTP folder). Everything else about pulling (which files are complete, exactly-once
landing, checksums, safe names) lives in :mod:`connectors.pull` and is the same for every
transport.
"""

from __future__ import annotations

import contextlib
from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from types import TracebackType
from typing import BinaryIO, Self


class AfterLanding(StrEnum):
    """What to do with a partner's file once it has landed and verified."""

    LEAVE = "leave"
    ARCHIVE = "archive"
    DELETE = "delete"


@dataclass(frozen=True)
class RemoteFile:
    """A file as listed in a partner location."""

    name: str
    size: int
    mtime: int
    """Modification time, whole seconds since the epoch."""


class Connector(ABC):
    """One partner location. Use as a context manager; ``close`` releases connections."""

    #: Where this connector points, for messages (never includes a secret).
    location: str

    @abstractmethod
    def list_files(self) -> list[RemoteFile]:
        """Regular files directly in the location (no folders), names as the server gives them."""

    @abstractmethod
    def open_read(self, name: str, offset: int = 0) -> contextlib.AbstractContextManager[BinaryIO]:
        """Open the named file for binary reading from ``offset`` (to resume a download).

        A file that has disappeared raises :class:`connectors.errors.RemoteFileMissing`.
        """

    @abstractmethod
    def after_landing(self, name: str, action: AfterLanding, archive_folder: str) -> None:
        """Leave, archive (move into ``archive_folder``) or delete the named file."""

    @abstractmethod
    def upload(self, local_path: Path, remote_name: str) -> None:
        """Upload under a temporary name, then rename to ``remote_name`` (all or nothing)."""

    def stat(self, name: str) -> RemoteFile | None:
        """The named file's size and mtime now, or None when it is gone."""
        return next((item for item in self.list_files() if item.name == name), None)

    def is_inside(self, name: str) -> bool:
        """Whether ``name`` resolves inside the location (symlinks followed). Default: yes."""
        return True

    def read_small(self, name: str, limit: int = 4096) -> bytes:
        """Read at most ``limit`` bytes of a small file such as a ``.sha256`` sidecar."""
        with self.open_read(name) as handle:
            return handle.read(limit)

    def close(self) -> None:  # noqa: B027 - optional hook, most transports need it
        """Release any connection."""

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


@contextlib.contextmanager
def opened(path: Path, offset: int = 0) -> Iterator[BinaryIO]:
    """Open a local file for binary reading from ``offset`` (a helper for local transports)."""
    with path.open("rb") as handle:
        if offset:
            handle.seek(offset)
        yield handle
