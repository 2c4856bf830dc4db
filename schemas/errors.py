"""The root of the hub's exception tree, and the errors of the schemas layer.

Every error the hub raises derives from :class:`HubError`. Messages are written for the person
running the hub: they say what went wrong and where (feed, file, row, field), never a personal
value or a secret. ``transient`` marks errors worth retrying (a timeout, a refused connection);
everything else is terminal until a person acts.
"""

from __future__ import annotations

from typing import Any


class HubError(Exception):
    """Base class of every error the hub raises.

    ``context`` holds identifiers (feed, file, row, run id) for logs and the audit trail;
    ``hint`` says what to do next.
    """

    transient: bool = False
    exit_code: int = 1

    def __init__(self, message: str, *, hint: str | None = None, **context: Any) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.context = {k: v for k, v in context.items() if v is not None}

    def __str__(self) -> str:
        return self.message if not self.hint else f"{self.message} ({self.hint})"


class TransientError(HubError):
    """A failure that may go away on retry: timeouts, refused or dropped connections."""

    transient = True


class ConfigError(HubError):
    """Configuration that cannot be loaded or is invalid; names the file, feed and field."""

    exit_code = 2


class FeedFormatError(HubError):
    """A partner file that cannot be taken in whole: wrong encoding, missing column, empty."""


class IdentifierError(HubError):
    """An identifier that is malformed or fails its check digit (single-value validation)."""
