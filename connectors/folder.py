"""A drop-folder connector: a partner writes files into a local folder or a mounted share."""

from __future__ import annotations

import contextlib
import os
import shutil
from pathlib import Path
from typing import BinaryIO

from connectors.base import AfterLanding, Connector, RemoteFile, opened
from connectors.errors import ConnectorError, ConnectorUnavailable, RemoteFileMissing


class FolderConnector(Connector):
    """Reads and writes files in one local folder."""

    def __init__(self, folder: Path, *, feed: str = "") -> None:
        self.folder = Path(folder)
        self.feed = feed
        self.location = f"folder {self.folder}"

    def list_files(self) -> list[RemoteFile]:
        if not self.folder.is_dir():
            raise ConnectorUnavailable(
                f"feed {self.feed!r}: drop folder {self.folder} does not exist or is not mounted",
                feed=self.feed,
                hint="check the feed's source.path and that the share is mounted",
            )
        files = []
        try:
            with os.scandir(self.folder) as entries:
                for entry in entries:
                    if entry.is_file(follow_symlinks=True):
                        info = entry.stat(follow_symlinks=True)
                        files.append(RemoteFile(entry.name, info.st_size, int(info.st_mtime)))
        except PermissionError as error:
            raise ConnectorError(
                f"feed {self.feed!r}: no permission to read {self.folder}", feed=self.feed
            ) from error
        return sorted(files, key=lambda f: f.name)

    def is_inside(self, name: str) -> bool:
        root = self.folder.resolve()
        return (self.folder / name).resolve().is_relative_to(root)

    def open_read(self, name: str, offset: int = 0) -> contextlib.AbstractContextManager[BinaryIO]:
        path = self.folder / name
        if not path.is_file():
            raise RemoteFileMissing(
                f"feed {self.feed!r}: {name!r} disappeared from {self.folder}", feed=self.feed
            )
        return opened(path, offset)

    def stat(self, name: str) -> RemoteFile | None:
        try:
            info = (self.folder / name).stat()
        except FileNotFoundError:
            return None
        return RemoteFile(name, info.st_size, int(info.st_mtime))

    def after_landing(self, name: str, action: AfterLanding, archive_folder: str) -> None:
        source = self.folder / name
        if action is AfterLanding.DELETE:
            source.unlink(missing_ok=True)
        elif action is AfterLanding.ARCHIVE:
            archive = self.folder / archive_folder
            archive.mkdir(parents=True, exist_ok=True)
            os.replace(source, archive / name)

    def upload(self, local_path: Path, remote_name: str) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        temporary = self.folder / f".{remote_name}.part"
        shutil.copyfile(local_path, temporary)
        with temporary.open("rb+") as handle:
            os.fsync(handle.fileno())
        os.replace(temporary, self.folder / remote_name)
