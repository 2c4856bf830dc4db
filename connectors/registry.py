"""From a feed's ``source:`` settings to a connector, one factory per transport."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from connectors.base import Connector
from connectors.config import FolderSource, SftpSource, SourceBase
from connectors.folder import FolderConnector

Environment = Mapping[str, str] | None


def _folder(source: FolderSource, feed: str, environment: Environment) -> Connector:
    return FolderConnector(source.path, feed=feed)


def _sftp(source: SftpSource, feed: str, environment: Environment) -> Connector:
    from connectors.sftp import SftpConnector

    return SftpConnector(source, feed, environment=environment)


FACTORIES: dict[type[SourceBase], Callable[[Any, str, Environment], Connector]] = {
    FolderSource: _folder,
    SftpSource: _sftp,
}


def open_connector(
    source: SourceBase, feed: str, environment: Mapping[str, str] | None = None
) -> Connector:
    """A connector for the source's transport (use it as a context manager).

    ``environment`` holds the variables the source names for its secrets (``password_env``);
    the hub passes the one its config was loaded with.
    """
    return FACTORIES[type(source)](source, feed, environment)
