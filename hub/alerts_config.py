"""The ``alerts:`` section of the hub file: who is told, and how, when something needs a person.

An alert is raised on a failed feed, a held or rejected extract, a stale partner and a failed
audit verify (``when:`` narrows the list). Each configured channel is used: a ``command`` (run with
the alert as JSON on its standard input), a ``webhook`` (the alert POSTed as JSON) and ``email``
(through the SMTP server named). Passwords are never written here: ``password_env`` names the
environment variable that holds one. Alerts carry feed and file names, counts and reasons only.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field


class AlertKind(StrEnum):
    """What an alert is about."""

    FEED_FAILED = "feed_failed"
    EXTRACT_HELD = "extract_held"
    EXTRACT_REJECTED = "extract_rejected"
    PARTNER_STALE = "partner_stale"
    AUDIT_VERIFY_FAILED = "audit_verify_failed"


class _Channel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, hide_input_in_errors=True)

    timeout_seconds: float = Field(10.0, gt=0, description="Longest wait for one try.")


class CommandAlert(_Channel):
    """A program run for each alert: the alert as JSON on stdin, its kind and message in
    ``IOMHUB_ALERT_KIND`` and ``IOMHUB_ALERT_MESSAGE``."""

    argv: list[str] = Field(min_length=1, description="The program and its arguments.")


class WebhookAlert(_Channel):
    """An HTTP(S) endpoint each alert is POSTed to as JSON."""

    url: str = Field(pattern=r"^https?://", description="Where alerts are POSTed.")


class EmailAlert(_Channel):
    """Mail through an SMTP server."""

    host: str = Field(min_length=1)
    port: int = Field(25, ge=1, le=65535)
    sender: str = Field(min_length=3, description="The From: address.")
    to: list[str] = Field(min_length=1, description="Recipients' addresses.")
    starttls: bool = Field(False, description="Upgrade the connection with STARTTLS.")
    username: str | None = None
    password_env: str | None = Field(
        None, description="Environment variable holding the SMTP password (never in YAML)."
    )


class AlertsConfig(BaseModel):
    """Where alerts go; with no channel configured, nothing is sent."""

    model_config = ConfigDict(extra="forbid", frozen=True, hide_input_in_errors=True)

    when: list[AlertKind] = Field(
        default_factory=lambda: list(AlertKind), description="The kinds of alert sent."
    )
    command: CommandAlert | None = None
    webhook: WebhookAlert | None = None
    email: EmailAlert | None = None
    attempts: int = Field(3, ge=1, le=10, description="Tries per channel, the first included.")
    retry_delay_seconds: float = Field(2.0, ge=0, description="Wait before each retry.")

    @property
    def configured(self) -> bool:
        """Whether any channel is set."""
        return any((self.command, self.webhook, self.email))
