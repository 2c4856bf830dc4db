"""Errors of the hub layer: workspace, state and orchestration."""

from __future__ import annotations

from schemas.errors import HubError


class WorkspaceError(HubError):
    """The workspace cannot be used: not writable, or locked by another run."""


class WorkspaceLocked(WorkspaceError):
    """Another hub run holds the workspace lock."""

    exit_code = 3


class ExtractError(HubError):
    """An extract named by an officer cannot be found or acted on (e.g. accepted)."""

    exit_code = 2
