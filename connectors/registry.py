"""From a feed's ``source:`` settings to a connector, one factory per transport."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from connectors.base import Connector
from connectors.config import FolderSource, SftpSource, SourceBase
from connectors.folder import FolderConnector


def _folder(source: FolderSource, feed: str) -> Connector:
    return FolderConnector(source.path, feed=feed)


def _sftp(source: SftpSource, feed: str) -> Connector:
    from connectors.sftp import SftpConnector

    return SftpConnector(source, feed)


FACTORIES: dict[type[SourceBase], Callable[[Any, str], Connector]] = {
    FolderSource: _folder,
    SftpSource: _sftp,
}


def open_connector(source: SourceBase, feed: str) -> Connector:
    """A connector for the source's transport (use it as a context manager)."""
    return FACTORIES[type(source)](source, feed)
