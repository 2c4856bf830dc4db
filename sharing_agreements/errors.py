"""Errors of the sharing-agreements layer."""

from __future__ import annotations

from schemas.errors import ConfigError, HubError


class AgreementError(ConfigError):
    """An agreement file that is malformed, or agreements that contradict each other."""


class PolicyError(HubError):
    """A release cannot be built as the agreements require (e.g. the view lacks a column)."""


class ReleaseCheckFailed(HubError):
    """A release failed its checks before publication; nothing was published."""
