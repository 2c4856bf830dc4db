"""Errors of the hub layer: workspace, state and orchestration."""

from __future__ import annotations

from schemas.errors import HubError


class WorkspaceError(HubError):
    """The workspace cannot be used: not writable, or locked by another run."""


class WorkspaceLocked(WorkspaceError):
    """Another hub run holds the workspace lock."""

    exit_code = 3


class InvalidRequest(HubError):
    """A request the hub cannot act on as given (a wrong file type, a missing choice)."""

    exit_code = 2
