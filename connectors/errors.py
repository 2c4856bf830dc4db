"""Errors of the connectors layer: moving files between partners and the hub."""

from __future__ import annotations

from schemas.errors import HubError, TransientError


class ConnectorError(HubError):
    """A terminal failure reaching or reading a partner location (permission, missing folder)."""


class ConnectorUnavailable(TransientError, ConnectorError):
    """The partner location cannot be reached right now (refused, timed out, dropped)."""


class HostKeyError(ConnectorError):
    """The server's host key is not the one pinned for it (or none is pinned): never retried."""


class AuthenticationFailed(ConnectorError):
    """The server refused the hub's key or password: never retried."""


class RemoteFileMissing(ConnectorError):
    """A listed file disappeared before it could be read (the partner moved or replaced it)."""


class DownloadTimeLimit(ConnectorError):
    """A download took longer than its time limit; the partial copy was removed."""
