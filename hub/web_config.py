"""The hub file's ``web:`` section: what the web app offers and how long a sign-in lasts.

::

    web:
      purposes: [IOM panel, case management, clerical review, data protection audit]
      cohort_recipient: iom_team     # the IOM team's pages show this recipient's view only
      idle_minutes: 30
      session_hours: 10
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

DEFAULT_PURPOSES = (
    "IOM panel",
    "case management",
    "clerical review",
    "feed operations",
    "data protection audit",
)


class WebConfig(BaseModel):
    """Settings of ``iomhub serve``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    purposes: tuple[str, ...] = Field(
        DEFAULT_PURPOSES,
        min_length=1,
        description="Why a person looks at personal data; chosen once per sign-in and written "
        "into every consultation entry of the audit log.",
    )
    cohort_recipient: str = Field(
        "iom_team",
        description="The recipient whose published view the IOM team's pages show: what that "
        "recipient's agreements allow, nothing more.",
    )
    idle_minutes: int = Field(30, ge=1, le=24 * 60, description="Sign-out after this idle time.")
    session_hours: int = Field(10, ge=1, le=24, description="Sign-out after this long in any case.")
