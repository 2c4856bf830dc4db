"""Errors of the connectors layer: moving files between partners and the hub."""

from __future__ import annotations

from schemas.errors import HubError, TransientError


class ConnectorError(HubError):
    """A terminal failure reaching or reading a partner location (permission, missing folder)."""


class ConnectorUnavailable(TransientError, ConnectorError):
    """The partner location cannot be reached right now (refused, timed out, dropped)."""
