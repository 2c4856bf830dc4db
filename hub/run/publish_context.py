"""What one publishing pass shares across recipients, and what it did for each.

Kept apart from :mod:`hub.run.publish` so that the stage, the manifest and the recording of a
release (:mod:`hub.run.release_record`) share one context without importing one another.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from hub.audit.log import AuditLog
from hub.config import HubConfig
from hub.output import Reporter
from hub.state import StateStore
from hub.workspace import Workspace
from sharing_agreements.cohort import CohortSubjects
from sharing_agreements.load import AgreementSet

if TYPE_CHECKING:
    import duckdb

Step = Callable[[str], None]


@dataclass
class ReleaseOutcome:
    """What publishing did for one recipient."""

    recipient: str
    status: str
    """'published', 'unchanged', 'withheld' (nothing allowed) or 'failed'."""
    release_id: str | None = None
    path: str | None = None
    rows: int = 0
    columns: int = 0
    withheld_values: int = 0
    delivered_to: str | None = None
    recovered: list[str] = field(default_factory=list)
    error: str | None = None


@dataclass
class PublishContext:
    """Everything one publishing pass shares across recipients."""

    config: HubConfig
    workspace: Workspace
    state: StateStore
    audit: AuditLog
    reporter: Reporter
    agreements: AgreementSet
    master: bytes
    today: datetime.date
    con: duckdb.DuckDBPyConnection
    view_sha256: str
    force: bool = False
    on_step: Step = field(default=lambda step: None)
    agreement_sha256: dict[str, str] = field(default_factory=dict)
    """``"ID vN"`` of each agreement version in force -> the SHA-256 of its text."""
    cohort: CohortSubjects | None = None
    """The IOM cohort on ``today``, for agreements that follow it."""
